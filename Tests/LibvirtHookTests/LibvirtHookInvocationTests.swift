import APModel
import LibvirtHook
import Testing

@Suite("LibvirtHookInvocation: arguments and notifications")
struct LibvirtHookInvocationTests {
    @Test("the four libvirt arguments")
    func arguments() throws {
        let invocation = try LibvirtHookInvocation(arguments: ["crypto-guest1", "started", "begin", "-"])
        #expect(invocation.domain == "crypto-guest1")
        #expect(invocation.operation == .started)
        #expect(invocation.subOperation == "begin")
        #expect(invocation.extra == "-")
    }

    @Test("a wrong argument count is an error that says what libvirt passes", arguments: [0, 3, 5])
    func wrongCount(_ count: Int) {
        #expect(throws: LibvirtHookInvocationError.wrongArgumentCount(count)) {
            try LibvirtHookInvocation(arguments: Array(repeating: "x", count: count))
        }
        #expect(
            LibvirtHookInvocationError.wrongArgumentCount(count).description
                == "expected 4 arguments <domain> <operation> <sub-operation> <extra> as libvirt passes them, got \(count)")
    }

    @Test("an empty domain name is refused")
    func emptyDomain() {
        #expect(throws: LibvirtHookInvocationError.emptyDomainName) {
            try LibvirtHookInvocation(arguments: ["", "prepare", "begin", "-"])
        }
    }

    @Test("start operations attach every vfio-ap mdev under the domain's name")
    func attachOnStart() throws {
        let invocation = try LibvirtHookInvocation(arguments: ["zguest-mixed", "prepare", "begin", "-"])
        let mdev = try #require(MdevUUID("e5c9a1b2-3d4f-4a6b-8c7d-9e0f1a2b3c4d"))
        #expect(try invocation.notifications(forDomainXML: Fixture.bytes("several-hostdevs.xml")) == [
            GuestRecord(action: .attach, mdev: mdev, name: "zguest-mixed")
        ])
    }

    @Test("stop operations detach")
    func detachOnStop() throws {
        let invocation = try LibvirtHookInvocation(arguments: ["crypto-guest1", "release", "end", "-"])
        let mdev = try #require(MdevUUID("5a2e6f0c-7d3b-4e8a-9c1f-0b4d2a6e8f13"))
        #expect(try invocation.notifications(forDomainXML: Fixture.bytes("one-vfio-ap.xml")) == [
            GuestRecord(action: .detach, mdev: mdev, name: "crypto-guest1")
        ])
    }

    @Test("filter operations neither read the XML nor notify", arguments: ["migrate", "restore", "some-future-op"])
    func filterOperationsIgnoreXML(_ operation: String) throws {
        let invocation = try LibvirtHookInvocation(arguments: ["vm", operation, "begin", "-"])
        #expect(try invocation.notifications(forDomainXML: Fixture.bytes("truncated.xml")).isEmpty)
    }

    @Test("a guest without vfio-ap mdevs gives no notification")
    func noMdevs() throws {
        let invocation = try LibvirtHookInvocation(arguments: ["plain-guest", "started", "begin", "-"])
        #expect(try invocation.notifications(forDomainXML: Fixture.bytes("no-hostdev.xml")).isEmpty)
    }

    @Test("malformed XML on an attaching operation is reported, not swallowed")
    func malformedXML() throws {
        let invocation = try LibvirtHookInvocation(arguments: ["crypto-guest1", "start", "begin", "-"])
        #expect(throws: DomainXMLError.self) { try invocation.notifications(forDomainXML: Fixture.bytes("truncated.xml")) }
    }
}
