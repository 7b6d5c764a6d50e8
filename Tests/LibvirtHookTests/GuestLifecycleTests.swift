import APModel
import APTestSupport
import Agent
import HotplugEngine
import LibvirtHook
import Testing
import Trace

/// libvirt's guest lifecycle as its hook calls it, fed through the daemon's
/// replay path: built on libvirt's `docs/hooks.rst` ("prepare begin" before
/// resources are labelled, "start begin", "started begin"; on shutdown
/// "stopped end -" then "release end -") and `src/util/virhook.c`
/// (`virHookQemuOpType`), with the domain XML of `Fixtures/one-vfio-ap.xml`.
@Suite struct GuestLifecycleTests {
    static let mdev = MdevUUID("5a2e6f0c-7d3b-4e8a-9c1f-0b4d2a6e8f13")!

    static func host() -> HostSnapshot {
        .passthroughHost(
            adapters: [5], domains: [4, 0xab],
            mdevs: [.init(uuid: mdev, assigned: APMatrix([5], [4, 0xab]), guestMatrix: APMatrix([5], [4, 0xab]))])
    }

    /// A replay started on ``host()``.
    static func session() -> ReplaySession {
        var session = ReplaySession()
        _ = session.start(snapshot: host(), guests: [:])
        return session
    }

    /// What the hook reports for `domain operation sub-operation extra`, fed to `session`.
    static func hook(_ session: inout ReplaySession, _ arguments: [String]) throws -> [Decision] {
        let invocation = try LibvirtHookInvocation(arguments: arguments)
        var decisions: [Decision] = []
        for record in try invocation.notifications(forDomainXML: try Fixture.bytes("one-vfio-ap.xml")) {
            decisions += try session.replay(.guest(record))
        }
        return decisions
    }

    static func status(_ session: inout ReplaySession, _ text: String) throws -> [Decision] {
        try session.replay(.observe(path: "/sys/devices/ap/card05/05.0004/status", value: text + "\n"))
    }

    /// hooks.rst: a guest's normal start, then shutdown (`stopped end -`,
    /// `release end -`). One end of one guest: one `blocker-cleared`, no anomaly.
    @Test func normalShutdownClearsOnceWithoutAnomaly() throws {
        var session = Self.session()
        var kinds: [Decision.Kind] = []
        for operation in [["prepare", "begin"], ["start", "begin"], ["started", "begin"]] {
            kinds += try Self.hook(&session, ["guestA"] + operation + ["-"]).map(\.kind)
        }
        #expect(kinds == [.blockerRaised])
        let stopped = try Self.hook(&session, ["guestA", "stopped", "end", "-"])
        #expect(stopped.map(\.kind) == [.blockerCleared])
        #expect(try Self.hook(&session, ["guestA", "release", "end", "-"]).isEmpty)
    }

    /// hooks.rst: `prepare` runs before host devices are prepared, so a second
    /// domain naming a held mdev gets `prepare begin`, fails to start, then
    /// `stopped end` and `release end`. The holder keeps the mdev and its blocker.
    @Test func secondDomainThatFailsToStartTakesNothing() throws {
        var session = Self.session()
        #expect(try Self.hook(&session, ["guestA", "prepare", "begin", "-"]).map(\.kind) == [.blockerRaised])
        _ = try Self.hook(&session, ["guestA", "started", "begin", "-"])
        let prepared = try Self.hook(&session, ["guestB", "prepare", "begin", "-"])
        #expect(prepared.map(\.kind) == [.conflict])
        #expect(prepared.first?.guest == "guestA")
        #expect(prepared.first?.cause.contains("guest guestB") == true)
        #expect(try Self.hook(&session, ["guestB", "stopped", "end", "-"]).isEmpty)
        #expect(try Self.hook(&session, ["guestB", "release", "end", "-"]).isEmpty)
        #expect(session.engine.finalStateJSON.contains("{\"guest\":\"guestA\""))
        #expect(session.engine.finalStateJSON.contains("\"blocker\":true"))
        // guestA's own shutdown still ends it.
        #expect(try Self.hook(&session, ["guestA", "stopped", "end", "-"]).map(\.kind) == [.blockerCleared])
    }

    /// `virsh detach-device` of the hostdev goes through libvirt's mdev hot
    /// unplug, which calls no hook: the kernel's queue `status` leaving "in use"
    /// ends a named guest's hold too, once the kernel had shown it in use.
    @Test func detachDeviceWithoutHookClearsFromQueueStatus() throws {
        var session = Self.session()
        #expect(try Self.hook(&session, ["guestA", "prepare", "begin", "-"]).map(\.kind) == [.blockerRaised])
        // Before QEMU opens the mdev the queue reads "assigned": the start goes on.
        #expect(try Self.status(&session, "assigned").isEmpty)
        _ = try Self.hook(&session, ["guestA", "started", "begin", "-"])
        #expect(try Self.status(&session, "in use").isEmpty)
        #expect(session.engine.guestProbes.map(\.description) == ["05.0004"])
        let cleared = try Self.status(&session, "assigned")
        #expect(cleared.map(\.kind) == [.blockerCleared])
        #expect(cleared.first?.guest == "guestA")
        // The guest's later shutdown is no anomaly.
        #expect(try Self.hook(&session, ["guestA", "stopped", "end", "-"]).isEmpty)
        #expect(try Self.hook(&session, ["guestA", "release", "end", "-"]).isEmpty)
    }
}
