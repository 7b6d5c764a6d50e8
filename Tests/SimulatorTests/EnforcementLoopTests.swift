import APModel
import Agent
import Glibc
import HotplugEngine
import Sysfs
import Testing
@testable import Simulator

/// Enforce mode end to end against the simulated kernel: the engine plans from
/// an mdevctl definition, the realizer writes through the kernel's own
/// validation, the read-back goes back to the engine, and the guest ends up
/// with exactly what the kernel's filter passes.
@Suite struct EnforcementLoopTests {
    static let definition = """
        {"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[
         {"assign_adapter":"5"},{"assign_adapter":"6"},{"assign_domain":"4"},{"assign_domain":"0xab"},
         {"assign_control_domain":"4"}]}
        """

    /// Adapters 5 and 6 start host-owned except 5; mdev A is empty and attached to vm1.
    static let script = """
        host adapters 4-6 domains 4,0x47,0xab,0xff control 4,0x47,0xab,0xff
        modprobe vfio_ap
        apmask -5
        mdev create \(Fixture.mdevA)
        guest attach \(Fixture.mdevA) vm1
        scan
        """

    @Test("assigns what the kernel accepts, then the rest once apmask frees it", arguments: [true, false])
    func assignsAsSoonAsAssignable(apConfig: Bool) async throws {
        let host = try SimulatedHost(Fixture.run(Self.script).final, apConfig: apConfig)
        var loop = try EnforcementLoop(host: host)
        var decisions = loop.feed(.definitionChanged(
            Fixture.mdevA, DefinitionReading(mdevctlConfig: Self.definition, of: Fixture.mdevA), position: 1))
        #expect(decisions.map(\.kind) == [.conflict, .assign])
        #expect(decisions.first?.apqns == [APQN(adapter: 6, domain: 4), APQN(adapter: 6, domain: 0xab)])
        #expect(decisions.first?.cause.contains("EADDRNOTAVAIL") == true)
        #expect(decisions.last?.adapters == [APID(5)])
        #expect(decisions.last?.domains == [APQI(4), APQI(0xab)])
        #expect(decisions.last?.controlDomains == [APQI(4)])

        decisions = await loop.realizeAndReadBack(decisions)
        #expect(host.kernel.mdev(Fixture.mdevA)?.assigned == Fixture.matrix([5], [4, 0xab], control: [4]))
        #expect(host.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5], [4, 0xab], control: [4]))
        #expect(decisions.contains { $0.kind == .plug && $0.adapters == [APID(5)] })
        #expect(host.writes.map(\.attribute) == (apConfig ? ["ap_config"] : ["assign_adapter", "assign_domain", "assign_domain", "assign_control_domain"]))

        // Freeing adapter 6 makes its APQNs assignable: one more assign, and the guest gets it.
        decisions = try loop.perform(.writeMask(.apmask, "-6"))
        #expect(decisions.filter { $0.kind == .assign }.map(\.adapters) == [[APID(6)]])
        decisions = await loop.realizeAndReadBack(decisions)
        #expect(host.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab], control: [4]))
        #expect(decisions.contains { $0.kind == .plug && $0.adapters == [APID(6)] })
        #expect(loop.engine.finalStateJSON.contains("\"shadow\":{\"adapters\":[\"05\",\"06\"]"))
        #expect(host.writesWithoutLock == 0)
        // Nothing is left to ask for: an unrelated event plans nothing.
        decisions = try loop.perform(.writeMask(.aqmask, "-0x47"))
        #expect(!decisions.contains { $0.kind == .assign || $0.kind == .conflict })
    }

    /// mdevctl's `testdata/modify/manual.expected` (mdevctl commit bd7f10ae),
    /// inline: a `"start":"manual"` definition. mdevctl applies a definition when
    /// it starts the mdev, and ap-check skips validating manual modifies for that
    /// reason (`ap_tools/ap-check.c`), so a manual definition is not enforced on a
    /// live mdev.
    static let manualExpected = """
        {
          "mdev_type": "vfio_ap-passthrough",
          "start": "manual",
          "attrs": [
            {"assign_adapter": "5"}, {"assign_adapter": "6"}, {"assign_domain": "0xab"},
            {"assign_control_domain": "0xab"}, {"assign_domain": "4"}, {"assign_control_domain": "4"}
          ]
        }
        """

    @Test func manualDefinitionIsNotEnforcedOnTheLiveMdev() async throws {
        let host = try SimulatedHost(Fixture.run(Self.script).final, apConfig: true)
        var loop = try EnforcementLoop(host: host)
        var decisions = loop.feed(.definitionChanged(
            Fixture.mdevA, DefinitionReading(mdevctlConfig: Self.manualExpected, of: Fixture.mdevA), position: 1))
        #expect(decisions.isEmpty)
        decisions = try loop.perform(.writeMask(.apmask, "-6"))
        #expect(!decisions.contains { $0.kind == .assign || $0.kind == .conflict })
        #expect(host.writes.isEmpty)
    }

    @Test("never assigns an APQN another mdev holds; the kernel's refusal is reported with its meaning")
    func foreignAPQNs() async throws {
        let script = Self.script + """

            apmask -6
            mdev create \(Fixture.mdevB)
            mdev \(Fixture.mdevB) assign-adapter 6
            mdev \(Fixture.mdevB) assign-domain 0xab
            """
        let host = try SimulatedHost(Fixture.run(script).final, apConfig: true)
        var loop = try EnforcementLoop(host: host)
        let decisions = loop.feed(.definitionChanged(
            Fixture.mdevA, DefinitionReading(mdevctlConfig: Self.definition, of: Fixture.mdevA), position: 1))
        let conflict = try #require(decisions.first { $0.kind == .conflict })
        #expect(conflict.apqns == [APQN(adapter: 6, domain: 0xab)])
        #expect(conflict.cause.contains("EADDRINUSE") && conflict.cause.contains(Fixture.mdevB.description))
        // The plan leaves out domain 0xab (it would share 06.00ab), keeping 05.0004 and 06.0004.
        let assign = try #require(decisions.first { $0.kind == .assign })
        #expect(assign.adapters == [APID(5), APID(6)] && assign.domains == [APQI(4)])
        _ = await loop.realizeAndReadBack(decisions)
        #expect(host.kernel.mdev(Fixture.mdevA)?.assigned == Fixture.matrix([5, 6], [4], control: [4]))
        #expect(host.kernel.mdev(Fixture.mdevB)?.assigned == Fixture.matrix([6], [0xab]))

        // A stale plan meets the kernel's validation: the refusal is a conflict naming errno and meaning.
        let stale = Decision(seq: 9, kind: .assign, mdev: Fixture.mdevA, domains: [APQI(0xab)], cause: "test")
        let outcome = await loop.realizer.realize(stale)
        #expect(outcome.writes.isEmpty)
        #expect(outcome.failure?.kind == .conflict)
        #expect(outcome.failure?.cause.contains("EADDRINUSE") == true)
        #expect(outcome.failure?.cause.contains("already assigned to another mediated device") == true)
    }

    @Test("dry run writes nothing and lists the writes")
    func dryRun() async throws {
        let host = try SimulatedHost(Fixture.run(Self.script).final, apConfig: true)
        var loop = try EnforcementLoop(host: host, mode: .dryRun)
        let decisions = loop.feed(.definitionChanged(
            Fixture.mdevA, DefinitionReading(mdevctlConfig: Self.definition, of: Fixture.mdevA), position: 1))
        let outcome = await loop.realizer.realize(try #require(decisions.first { $0.kind == .assign }))
        #expect(outcome.writes.map(\.path) == ["devices/vfio_ap/matrix/\(Fixture.mdevA)/ap_config"])
        #expect(outcome.writes.first?.value == APMatrix(
            adapters: APMask([5]), domains: APMask([4, 0xab]), controlDomains: APMask([4])).apConfigText)
        #expect(host.writes.isEmpty)
        #expect(host.kernel.mdev(Fixture.mdevA)?.assigned == APMatrix())
    }
}
