import APModel
import Agent
import APTestSupport
import HotplugEngine
import Testing
@testable import Simulator

/// Enforce mode against the simulated kernel on seeded random hosts: random
/// definitions, then the cross-check's random operations (mask writes, binds,
/// host configuration changes, admin assignments, guests), each followed by
/// the daemon's loop (realize every `assign`, read back, repeat).
///
/// After every step:
/// - the kernel never refused a write of ours (we never ask for a host-owned
///   or foreign APQN, or an id above the maximum), and every write held the lock;
/// - every desired adapter or domain still missing from an mdev's assignment
///   is one the kernel would refuse right now (tried on a copy of the kernel):
///   enforcement assigns everything assignable;
/// - the engine's predicted guest configuration equals the kernel's.
@Suite struct EnforcementProperties {
    static let seeds: [UInt64] = Array(1...120)
    static let steps = 20

    @Test(arguments: 0..<4)
    func enforcementNeverTriesWhatTheKernelRefusesAndMissesNothing(chunk: Int) async throws {
        var failures: [String] = []
        var assignDecisions = 0
        var conflictDecisions = 0
        for seed in Self.seeds where Int(seed) % 4 == chunk {
            let outcome = try await Self.run(seed: seed)
            failures += outcome.failures
            assignDecisions += outcome.assigns
            conflictDecisions += outcome.conflicts
        }
        #expect(failures.isEmpty, "\(failures.count) failures; first: \(failures.prefix(3).joined(separator: "\n---\n"))")
        // The random hosts must exercise both outcomes.
        #expect(assignDecisions > 10 && conflictDecisions > 10, "\(assignDecisions) assign, \(conflictDecisions) conflict decisions")
    }

    struct Outcome {
        var failures: [String] = []
        var assigns = 0
        var conflicts = 0
    }

    static func run(seed: UInt64) async throws -> Outcome {
        var random = SeededGenerator(seed: seed)
        var outcome = Outcome()
        var simulation = Simulation()
        let mdevs = Array(CrossCheckTests.uuids.prefix(Int.random(in: 2...3, using: &random)))
        for operation in CrossCheckTests.setup(mdevs: mdevs, using: &random) { _ = try? simulation.perform(operation) }
        let host = try SimulatedHost(simulation, apConfig: Bool.random(using: &random))
        var loop = try EnforcementLoop(host: host)
        var position: UInt64 = 1_000
        var desired: [MdevUUID: APMatrix] = [:]
        var withControlDomains: Set<MdevUUID> = []

        func converge(_ decisions: [Decision], step: String) async {
            var pending = decisions
            var rounds = 0
            while pending.contains(where: { $0.kind == .assign }) {
                outcome.assigns += pending.filter { $0.kind == .assign }.count
                outcome.conflicts += pending.filter { $0.kind == .conflict }.count
                let (next, failures) = await loop.realizeAndReadBackCollecting(pending)
                outcome.failures += failures.map { "seed \(seed) \(step): \($0)" }

                pending = next
                rounds += 1
                if rounds > 5 {
                    outcome.failures.append("seed \(seed) \(step): assign decisions keep coming")
                    return
                }
            }
            outcome.conflicts += pending.filter { $0.kind == .conflict }.count
            check(step: step)
        }

        func check(step: String) {
            func fail(_ message: String) { outcome.failures.append("seed \(seed) \(step): \(message)") }
            if host.writesWithoutLock > 0 { fail("\(host.writesWithoutLock) writes without the lock") }
            for (uuid, wanted) in desired {
                guard let mdev = host.kernel.mdev(uuid) else { continue }
                // ap-check refuses control domains without a usage domain and auto
                // definitions sharing an APQN (ap_tools/ap-check.c): not enforced.
                if wanted.domains.isEmpty && withControlDomains.contains(uuid) { continue }
                if desired.contains(where: { other, theirs in
                    other != uuid && theirs.adapters.intersects(wanted.adapters) && theirs.domains.intersects(wanted.domains)
                }) { continue }
                let missing = APMatrix(
                    adapters: wanted.adapters.subtracting(mdev.assigned.adapters),
                    domains: wanted.domains.subtracting(mdev.assigned.domains))
                let trials = missing.adapters.map { (MdevAttribute.assignAdapter, $0) } + missing.domains.map { (MdevAttribute.assignDomain, $0) }
                for (attribute, id) in trials {
                    var trial = host.simulation
                    if (try? trial.perform(.writeMdev(uuid, attribute, "\(id)"))) != nil {
                        fail("mdev \(uuid): \(attribute) \(id) is desired and the kernel accepts it, but it was not assigned")
                    }
                }
            }
            guard let state = try? EngineShadows(json: loop.engine.finalStateJSON) else {
                fail("final state does not parse")
                return
            }
            for mdev in host.kernel.mdevs {
                let predicted = state.shadows[mdev.uuid.description]
                if predicted?.adapters != mdev.shadow.adapters.adapterIDs.map(\.description)
                    || predicted?.domains != mdev.shadow.domains.domainIDs.map(\.description) {
                    fail("mdev \(mdev.uuid): kernel shadow \(mdev.shadow.adapters.adapterIDs) \(mdev.shadow.domains.domainIDs), engine \(String(describing: predicted))")
                }
            }
        }

        func define(_ uuid: MdevUUID) -> [Decision] {
            var attrs: [String] = []
            let adapters = CrossCheckTests.ids(0...4, using: &random)
            let domains = CrossCheckTests.ids(0...3, using: &random)
            desired[uuid] = APMatrix(adapters: APMask(adapters), domains: APMask(domains))
            for adapter in adapters { attrs.append(#"{"assign_adapter":"\#(adapter)"}"#) }
            for domain in domains { attrs.append(#"{"assign_domain":"0x\#(String(domain, radix: 16))"}"#) }
            withControlDomains.remove(uuid)
            if Bool.random(using: &random) {
                attrs.append(#"{"assign_control_domain":"\#(UInt8.random(in: 0...5, using: &random))"}"#)
                withControlDomains.insert(uuid)
            }
            let config = #"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":["# + attrs.joined(separator: ",") + "]}"
            position += 1
            return loop.feed(.definitionChanged(uuid, DefinitionReading(mdevctlConfig: config, of: uuid), position: position))
        }

        for uuid in mdevs where Int.random(in: 0..<3, using: &random) > 0 {
            await converge(define(uuid), step: "definition of \(uuid)")
        }
        for step in 0..<steps {
            if Int.random(in: 0..<10, using: &random) == 0 {
                let uuid = mdevs.randomElement(using: &random)!
                await converge(define(uuid), step: "step \(step): new definition of \(uuid)")
                continue
            }
            let operation = CrossCheckTests.randomOperation(mdevs: mdevs, kernel: host.kernel, using: &random)
            let decisions = (try? loop.perform(operation)) ?? []

            await converge(decisions, step: "step \(step): \(operation.scriptLine)")
        }
        return outcome
    }
}
