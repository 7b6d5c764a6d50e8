import APModel
import Foundation
import HotplugEngine
import Sysfs
import Testing
@testable import Simulator

/// `aphotplug demo`'s story, played through the engine the way the demo does
/// (simulator → tree → snapshot → records → engine): the key decisions appear,
/// in order, in the acts that should cause them.
@Suite struct DemoScenarioTests {
    /// Decisions per act (act 0: the starting snapshot), as `kind mdev-suffix adapters`.
    static func decisionsPerAct() throws -> [[String]] {
        let root = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let directory = root + "/aphotplug-demo-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var simulation = try DemoScenario.prepared()
        var tree = try SimulatedSysfsTree(root: directory, kernel: simulation.kernel)
        let snapshot = try SnapshotReader(tree: DirectorySysfsTree(root: directory)).read()
        var guests: [MdevUUID: String] = [:]
        for mdev in simulation.kernel.mdevs {
            if let name = mdev.guest { guests[mdev.uuid] = name }
        }
        var engine = Engine()
        var position: UInt64 = 0
        func summary(_ decisions: [Decision]) -> [String] {
            decisions.map { decision in
                ([decision.kind.rawValue, String(decision.mdev?.description.suffix(1) ?? "-")]
                    + decision.adapters.map(\.description)).joined(separator: " ")
            }
        }
        var acts = [summary(engine.handle(.snapshot(snapshot, guests: guests, position: 0)))]
        for act in DemoScenario.acts {
            var decisions: [Decision] = []
            for operation in act.operations {
                let step = try simulation.perform(operation)
                try tree.update(from: simulation.kernel, touched: step.touched)
                for record in step.records {
                    position += 1
                    decisions += engine.handle(record.engineEvent(position: position))
                }
            }
            acts.append(summary(decisions))
        }
        return acts
    }

    @Test func theStoryMakesTheKeyDecisionsInOrder() throws {
        let acts = try Self.decisionsPerAct()
        try #require(acts.count == DemoScenario.acts.count + 1)
        // Coldplug: vm1 on mdev A blocks migration; no divergence, nothing else.
        #expect(acts[0] == ["blocker-raised a 01 02"])
        // Act 1 (apmask -3) only rebinds queues; act 2 assigns 03 to A: plugged.
        #expect(acts[1].isEmpty)
        #expect(acts[2].first == "plug a 03")
        // Unbind 02.0005 → whole adapter 02 unplugged; rebind → plugged again.
        #expect(acts[3].first == "unplug-adapter a 02")
        #expect(acts[4].first == "plug a 02")
        // Deconfiguring card 01 (CONFIG=0 on card and queues) changes nothing.
        #expect(acts[5].isEmpty)
        // Adapter 03 leaves the host configuration → unplugged from vm1.
        #expect(acts[6].first == "unplug-adapter a 03")
        // vm2 starts on B, vm1 stops.
        #expect(acts[7] == ["blocker-raised b 01 02"])
        #expect(acts[8] == ["blocker-cleared a"])
        // The kernel agreed with every prediction.
        #expect(acts.joined().allSatisfy { !$0.hasPrefix("divergence") && !$0.hasPrefix("anomaly") })
        // And the key decisions come in the README's order.
        let key = acts.joined().filter { ["plug", "unplug-adapter", "blocker-raised", "blocker-cleared"].contains(String($0.split(separator: " ")[0])) }
        #expect(key == ["blocker-raised a 01 02", "plug a 03", "unplug-adapter a 02", "plug a 02", "unplug-adapter a 03",
                        "blocker-raised b 01 02", "blocker-cleared a"])
    }
}
