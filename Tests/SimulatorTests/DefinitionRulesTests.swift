import APModel
import Agent
import HotplugEngine
import Testing
@testable import Simulator

/// s390-tools' ap-check refuses definitions that mdevctl would otherwise define
/// or start (`ap_tools/ap-check.c`): control domains without a usage domain
/// (`ap_check_active`) and auto definitions that share an APQN
/// (`check_other_mdevs_cfg`). Enforce mode enforces neither and reports each
/// once as a conflict naming the rule.
@Suite struct DefinitionRulesTests {
    static let script = """
        host adapters 4-6 domains 4,0x47,0xab,0xff control 4,0x47,0xab,0xff
        modprobe vfio_ap
        apmask -5,-6
        mdev create \(Fixture.mdevA)
        mdev create \(Fixture.mdevB)
        scan
        """

    static func definition(_ attrs: String, start: String = "auto") -> String {
        #"{"mdev_type":"vfio_ap-passthrough","start":"\#(start)","attrs":[\#(attrs)]}"#
    }

    static func feed(_ loop: inout EnforcementLoop, _ uuid: MdevUUID, _ text: String?, position: UInt64) -> [Decision] {
        loop.feed(.definitionChanged(uuid, DefinitionReading(mdevctlConfig: text, of: uuid), position: position))
    }

    @Test func controlDomainsWithoutUsageDomainAreRefused() async throws {
        let host = try SimulatedHost(Fixture.run(Self.script).final, apConfig: true)
        var loop = try EnforcementLoop(host: host)
        let decisions = Self.feed(&loop, Fixture.mdevA, Self.definition(#"{"assign_adapter":"5"},{"assign_control_domain":"4"}"#), position: 1)
        #expect(decisions.map(\.kind) == [.conflict])
        #expect(decisions.first?.cause.contains("At least one usage domain must be specified") == true)
        #expect(host.writes.isEmpty)
    }

    @Test func overlappingAutoDefinitionsAreRefusedUntilOneChanges() async throws {
        let host = try SimulatedHost(Fixture.run(Self.script).final, apConfig: true)
        var loop = try EnforcementLoop(host: host)
        #expect(Self.feed(&loop, Fixture.mdevA, Self.definition(#"{"assign_adapter":"5"},{"assign_domain":"4"}"#), position: 1)
            .map(\.kind) == [.assign])
        // B's definition shares APQN 05.0004 with A's: both are refused, B's assign never comes.
        var decisions = Self.feed(
            &loop, Fixture.mdevB, Self.definition(#"{"assign_adapter":"5,6"},{"assign_domain":"4"}"#), position: 2)
        #expect(decisions.map(\.kind) == [.conflict, .conflict])
        #expect(decisions.map(\.mdev) == [Fixture.mdevA, Fixture.mdevB])
        #expect(decisions.allSatisfy { $0.cause.contains("check_other_mdevs_cfg") && $0.apqns == [APQN(adapter: 5, domain: 4)] })
        // A manual definition is not checked against others (ap_check_changes).
        decisions = Self.feed(
            &loop, Fixture.mdevB, Self.definition(#"{"assign_adapter":"5"},{"assign_domain":"4"}"#, start: "manual"), position: 3)
        #expect(decisions.map(\.kind) == [.assign])
        #expect(decisions.first?.mdev == Fixture.mdevA)
        // Overlapping again, then B moves to its own domain: A is enforced again, and B.
        _ = Self.feed(&loop, Fixture.mdevB, Self.definition(#"{"assign_adapter":"5"},{"assign_domain":"4"}"#), position: 4)
        decisions = Self.feed(&loop, Fixture.mdevB, Self.definition(#"{"assign_adapter":"6"},{"assign_domain":"0x47"}"#), position: 5)
        #expect(decisions.map(\.kind) == [.assign, .assign])
        #expect(decisions.map(\.mdev) == [Fixture.mdevA, Fixture.mdevB])
    }
}
