import APModel
import Foundation
import LibvirtHook
import Testing

@Suite("DomainXML.vfioAPMdevs on libvirt domain XML samples")
struct DomainXMLTests {
    @Test("a running s390x guest with one vfio-ap hostdev")
    func oneVFIOAPHostdev() throws {
        #expect(try DomainXML.vfioAPMdevs(in: Fixture.bytes("one-vfio-ap.xml")) == [uuid("5a2e6f0c-7d3b-4e8a-9c1f-0b4d2a6e8f13")])
    }

    /// libvirt's `virDomainHostdevDefParseXML` (`src/conf/domain_conf.c`) takes a
    /// hostdev without `mode` as `subsystem`: the same guest without the attribute.
    @Test func hostdevWithoutModeIsSubsystem() throws {
        let text = String(decoding: try Fixture.bytes("one-vfio-ap.xml"), as: UTF8.self)
            .replacingOccurrences(of: "<hostdev mode='subsystem' type='mdev'", with: "<hostdev type='mdev'")
        #expect(!text.contains("mode='subsystem'"))
        #expect(try DomainXML.vfioAPMdevs(in: text) == [uuid("5a2e6f0c-7d3b-4e8a-9c1f-0b4d2a6e8f13")])
        // Another mode is not a vfio-ap mdev.
        let capabilities = text.replacingOccurrences(of: "<hostdev type='mdev'", with: "<hostdev mode='capabilities' type='mdev'")
        #expect(try DomainXML.vfioAPMdevs(in: capabilities).isEmpty)
    }

    @Test("PCI, SCSI, vfio-ccw and vfio-pci hostdevs are ignored")
    func onlyVFIOAPAmongSeveralHostdevs() throws {
        #expect(try DomainXML.vfioAPMdevs(in: Fixture.bytes("several-hostdevs.xml")) == [uuid("e5c9a1b2-3d4f-4a6b-8c7d-9e0f1a2b3c4d")])
    }

    @Test("an uppercase UUID comes back lowercase, as the kernel names the mdev")
    func uppercaseUUID() throws {
        let mdevs = try DomainXML.vfioAPMdevs(in: Fixture.bytes("uppercase-uuid.xml"))
        #expect(mdevs.map(\.description) == ["0b5e1c2d-aaaa-4bbb-8ccc-ddddeeeeffff"])
    }

    @Test("a guest without hostdevs uses no mdev")
    func noHostdev() throws {
        #expect(try DomainXML.vfioAPMdevs(in: Fixture.bytes("no-hostdev.xml")).isEmpty)
    }

    @Test("comments, CDATA, metadata in other namespaces and qemu:commandline hide no device and invent none")
    func commentsAndNamespaces() throws {
        #expect(try DomainXML.vfioAPMdevs(in: Fixture.bytes("comments-namespaces.xml")) == [uuid("44444444-4444-4444-8444-444444444444")])
    }

    @Test("a truncated document names the element it ends in")
    func truncated() throws {
        let error = try #require(throws: DomainXMLError.self) { try DomainXML.vfioAPMdevs(in: Fixture.bytes("truncated.xml")) }
        guard case .malformed(let syntax) = error else { Issue.record("expected .malformed, got \(error)"); return }
        #expect(syntax.message == "the document ends inside <source>, opened at line 53: it is truncated")
        #expect(error.description.hasPrefix("the domain XML is not well-formed: line 55, column 1:"))
    }

    @Test("mismatched tags name both tags and where the open one started")
    func mismatchedTags() throws {
        let error = try #require(throws: DomainXMLError.self) { try DomainXML.vfioAPMdevs(in: Fixture.bytes("mismatched-tags.xml")) }
        #expect(error.description == "the domain XML is not well-formed: line 7, column 7: </hostdev> does not close <source>, opened at line 5")
    }

    @Test("a well-formed document that is not a domain")
    func notADomain() {
        #expect(throws: DomainXMLError.notADomain(rootElement: "network")) {
            try DomainXML.vfioAPMdevs(in: "<network><name>default</name></network>")
        }
    }

    @Test("a vfio-ap hostdev without a source address")
    func missingAddress() {
        let xml = """
            <domain>
              <devices>
                <hostdev mode='subsystem' type='mdev' model='vfio-ap'><source/></hostdev>
              </devices>
            </domain>
            """
        #expect(throws: DomainXMLError.missingMdevAddress(line: 3)) { try DomainXML.vfioAPMdevs(in: xml) }
    }

    @Test("a vfio-ap hostdev whose UUID is not one")
    func invalidUUID() {
        let xml = """
            <domain><devices>
            <hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='not-a-uuid'/></source></hostdev>
            </devices></domain>
            """
        #expect(throws: DomainXMLError.invalidMdevUUID("not-a-uuid", line: 2)) { try DomainXML.vfioAPMdevs(in: xml) }
    }

    @Test("several vfio-ap hostdevs come in document order, a repeated one once")
    func severalInDocumentOrder() throws {
        let xml = """
            <domain><devices>
            \(hostdev("ffffffff-0000-4000-8000-000000000002"))
            \(hostdev("00000000-0000-4000-8000-000000000001"))
            \(hostdev("FFFFFFFF-0000-4000-8000-000000000002"))
            </devices></domain>
            """
        #expect(try DomainXML.vfioAPMdevs(in: xml) == [uuid("ffffffff-0000-4000-8000-000000000002"), uuid("00000000-0000-4000-8000-000000000001")])
    }

    @Test("a vfio-ap hostdev outside <devices> is not a device")
    func hostdevOutsideDevices() throws {
        let xml = "<domain>\(hostdev("00000000-0000-4000-8000-000000000001"))<devices/></domain>"
        #expect(try DomainXML.vfioAPMdevs(in: xml).isEmpty)
    }

    private func hostdev(_ uuid: String) -> String {
        "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='\(uuid)'/></source></hostdev>"
    }

    private func uuid(_ text: String) throws -> MdevUUID {
        try #require(MdevUUID(text))
    }
}
