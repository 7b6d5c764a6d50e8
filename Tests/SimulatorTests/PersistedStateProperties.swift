import APModel
import Agent
import APTestSupport
import HotplugEngine
import Sysfs
import Testing
@testable import Simulator

/// The engine's persisted state on seeded random hosts (the cross-check's
/// operations, plus mdevctl definitions so that enforcement state is filled):
/// engine A handles every event; at random points its state is encoded and
/// decoded into engine B, which handles the rest. B must decide byte for byte
/// what A decided and end in the same state (the same encoding, which covers
/// every field: `PersistedStateTests.theCodecKnowsEveryStoredProperty`).
@Suite struct PersistedStateProperties {
    static let seeds: [UInt64] = Array(1...64)
    static let operations = 30
    static let splitsPerSeed = 3

    @Test(arguments: 0..<4)
    func restoredEngineDecidesAsTheOriginal(chunk: Int) throws {
        var failures: [String] = []
        var decisionsCompared = 0
        var kinds: Set<Decision.Kind> = []
        for seed in Self.seeds where Int(seed) % 4 == chunk {
            let outcome = try Self.run(seed: seed)
            failures += outcome.failures
            decisionsCompared += outcome.compared
            kinds.formUnion(outcome.kinds)
        }
        #expect(failures.isEmpty, "\(failures.count) failures; first: \(failures.prefix(3).joined(separator: "\n---\n"))")
        // The suffixes must be rich: plugs, unplugs, blockers and enforcement.
        #expect(decisionsCompared > 200, "\(decisionsCompared) decisions compared")
        #expect(kinds.isSuperset(of: [.plug, .unplugAdapter, .blockerRaised, .assign, .conflict]), "\(kinds)")
    }

    struct Outcome {
        var failures: [String] = []
        var compared = 0
        var kinds: Set<Decision.Kind> = []
    }

    static func bytes(_ engine: Engine) -> [UInt8] {
        var encoder = PersistedEncoder()
        engine.encode(to: &encoder)
        return encoder.bytes
    }

    static func run(seed: UInt64) throws -> Outcome {
        var random = SeededGenerator(seed: seed)
        var outcome = Outcome()
        var simulation = Simulation()
        let mdevs = Array(CrossCheckTests.uuids.prefix(Int.random(in: 2...3, using: &random)))
        for operation in CrossCheckTests.setup(mdevs: mdevs, using: &random) { _ = try? simulation.perform(operation) }
        let snapshot = try SnapshotReader(tree: MemorySysfsTree(simulation.kernel.sysfsImage)).read()
        var guests: [MdevUUID: String] = [:]
        for mdev in simulation.kernel.mdevs { guests[mdev.uuid] = mdev.guest }

        var position: UInt64 = 0
        var events: [EngineEvent] = [.snapshot(snapshot, guests: guests, position: position)]
        func define(_ uuid: MdevUUID) {
            var attrs: [String] = []
            for adapter in CrossCheckTests.ids(0...4, using: &random) { attrs.append(#"{"assign_adapter":"\#(adapter)"}"#) }
            for domain in CrossCheckTests.ids(0...3, using: &random) { attrs.append(#"{"assign_domain":"\#(domain)"}"#) }
            if Bool.random(using: &random) { attrs.append(#"{"assign_control_domain":"\#(UInt8.random(in: 0...5, using: &random))"}"#) }
            let config = #"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":["# + attrs.joined(separator: ",") + "]}"
            position += 1
            events.append(.definitionChanged(uuid, DefinitionReading(mdevctlConfig: config, of: uuid), position: position))
        }
        for uuid in mdevs where Bool.random(using: &random) { define(uuid) }
        for _ in 0..<operations {
            if Int.random(in: 0..<8, using: &random) == 0 { define(mdevs.randomElement(using: &random)!) }
            let operation = CrossCheckTests.randomOperation(mdevs: mdevs, kernel: simulation.kernel, using: &random)
            guard let step = try? simulation.perform(operation) else { continue }
            for record in step.records {
                position += 1
                events.append(record.engineEvent(position: position))
            }
            // The read-backs the shell feeds after a burst.
            let tree = MemorySysfsTree(simulation.kernel.sysfsImage)
            for mdev in simulation.kernel.mdevs {
                for attribute in ["matrix", "control_domains", "guest_matrix"] {
                    let path = "devices/vfio_ap/matrix/\(mdev.uuid)/\(attribute)"
                    guard let value = try? tree.readAttribute(path) else { continue }
                    position += 1
                    events.append(.observed(path: "/sys/" + path, value: value, position: position))
                }
            }
        }

        // A: everything, remembering the decisions of each event and its state before it.
        var engine = Engine()
        var lines: [[String]] = []
        let splits = Set((0..<splitsPerSeed).map { _ in Int.random(in: 0...events.count, using: &random) })
        var statesAtSplits: [Int: Engine] = [:]
        for (index, event) in events.enumerated() {
            if splits.contains(index) { statesAtSplits[index] = engine }
            let decisions = engine.handle(event)
            outcome.kinds.formUnion(decisions.map(\.kind))
            lines.append(decisions.map(\.jsonLine))
        }
        if splits.contains(events.count) { statesAtSplits[events.count] = engine }
        let finalBytes = bytes(engine)

        // B: restored at each split, then the suffix.
        for (split, state) in statesAtSplits.sorted(by: { $0.key < $1.key }) {
            var decoder = PersistedDecoder(bytes(state))
            var restored: Engine
            do {
                restored = try Engine(decoding: &decoder)
                try decoder.expectEnd("engine")
            } catch {
                outcome.failures.append("seed \(seed) split \(split): \(error)")
                continue
            }
            for index in split..<events.count {
                let decided = restored.handle(events[index]).map(\.jsonLine)
                outcome.compared += decided.count
                if decided != lines[index] {
                    outcome.failures.append("seed \(seed) split \(split) event \(index): restored \(decided), original \(lines[index])")
                    break
                }
            }
            if bytes(restored) != finalBytes { outcome.failures.append("seed \(seed) split \(split): final states differ") }
        }
        return outcome
    }
}
