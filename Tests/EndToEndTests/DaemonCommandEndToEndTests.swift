import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// `aphotplug daemon` under umockdev's preload: coldplug, live events, shutdown.
@Suite(
    "aphotplug daemon under umockdev",
    .enabled(if: UmockdevPreload.shouldRun, Comment(rawValue: UmockdevPreload.skipReason))
)
struct DaemonCommandEndToEndTests {
    static let mdev = MonitorHarness.mdevUUID

    @Test("coldplug, then a live unbind and re-bind: unplug-adapter then plug; SIGTERM exits 0")
    func unbindRebind() async throws {
        let harness = try await DaemonHarness()
        let coldState = try harness.state()
        let mdevs = try #require(coldState["mdevs"] as? [String: Any])
        #expect(mdevs.keys.sorted() == [Self.mdev])

        let queue = APDevice.queue(APQN(adapter: 4, domain: 6)).devpath
        try harness.testbed.setDriver(of: queue, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("unbind", "04.0006", seq: 200))
        let unplug = try await harness.waitForDecision("unplug-adapter")
        #expect(unplug["seq"] as? Int == 200)
        #expect(unplug["mdev"] as? String == Self.mdev)
        #expect(unplug["adapters"] as? [String] == ["04"])

        try harness.testbed.setDriver(of: queue, to: "vfio_ap")
        _ = try harness.injector.send(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 201))
        let plug = try await harness.waitForDecision("plug")
        #expect(plug["seq"] as? Int == 201)
        #expect(plug["apqns"] as? [String] == ["04.0006"])

        let termination = try await harness.stop()
        #expect(termination == ChildProcess.Termination(status: 0, bySignal: false))
        #expect(harness.process.standardError.contains("stopped by signal 15"))
        let shadow = try #require(((try harness.state()["mdevs"] as? [String: Any])?[Self.mdev] as? [String: Any])?["shadow"] as? [String: Any])
        #expect(shadow["adapters"] as? [String] == ["04"])
    }
}

extension DaemonCommandEndToEndTests {
    /// 4 adapters (0x10…0x13) × 64 domains, all bound to vfio_ap and assigned to one mdev.
    /// (Small on purpose: writing a fake tree costs far more than the daemon's coldplug.)
    static var wideHost: HostSnapshot {
        let adapters = (0x10...0x13).map { UInt8($0) }
        let domains = (0..<64).map { UInt8($0) }
        return HostSnapshot(
            apmask: APMask([]), aqmask: APMask([]),
            cards: adapters.map { HostSnapshot.Card(id: APID($0), hardwareType: 14, driver: "cex4card") },
            queues: adapters.flatMap { adapter in
                domains.map { HostSnapshot.Queue(apqn: APQN(adapter: adapter, domain: $0), driver: "vfio_ap") }
            },
            matrixDevice: HostSnapshot.MatrixDevice(features: ["guest_matrix", "hotplug", "ap_config"]),
            mdevs: [HostSnapshot.Mdev(
                uuid: MdevUUID(mdev)!, assigned: APMatrix(adapters, domains), guestMatrix: APMatrix(adapters, domains))]
        )
    }

    @Test("apmask flip bursts, 5,120 unbind and bind events: every adapter unplugs and plugs again each round, nothing lost")
    func burst() async throws {
        let host = Self.wideHost
        let harness = try await DaemonHarness(host: host)
        let apqns = host.queues.map(\.apqn)
        // APHOTPLUG_BURST_ROUNDS=256 gives design.md's 131,072-event burst (a measurement, not a CI test).
        let rounds = max(10, Int(ProcessInfo.processInfo.environment["APHOTPLUG_BURST_ROUNDS"] ?? "") ?? 10)
        var seq: UInt64 = 10_000
        var events: [Uevent] = []
        var expectedUnplugs: [String] = []
        var expectedPlugs: [String] = []
        for _ in 0..<rounds {
            var firstUnbind: [String: UInt64] = [:]
            var lastBind: [String: UInt64] = [:]
            for apqn in apqns {
                seq += 1
                events.append(KernelEvent.queue("unbind", apqn.description, seq: seq))
                if firstUnbind[apqn.adapter.description] == nil { firstUnbind[apqn.adapter.description] = seq }
            }
            for apqn in apqns {
                seq += 1
                events.append(KernelEvent.queue("bind", apqn.description, driver: "vfio_ap", seq: seq))
                lastBind[apqn.adapter.description] = seq
            }
            expectedUnplugs += firstUnbind.sorted { $0.value < $1.value }.map { "\($0.value) \($0.key)" }
            expectedPlugs += lastBind.sorted { $0.value < $1.value }.map { "\($0.value) \($0.key)" }
        }
        let start = ContinuousClock.now
        try harness.injector.send(events)
        let sent = ContinuousClock.now
        try await harness.waitForDecision("plug", timeout: .seconds(60)) { $0["seq"] as? Int == Int(seq) }
        let done = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(300))
        let status = (try? String(contentsOfFile: "/proc/\(harness.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.map(String.init) ?? "VmHWM: ?"
        let termination = try await harness.stop()
        #expect(termination == ChildProcess.Termination(status: 0, bySignal: false))

        let decisions = harness.decisions
        func summary(_ kind: String) -> [String] {
            decisions.filter { $0["kind"] as? String == kind }
                .map { "\($0["seq"] as? Int ?? 0) \(($0["adapters"] as? [String])?.joined(separator: ",") ?? "")" }
        }
        #expect(events.count == rounds * 512)
        #expect(summary("unplug-adapter") == expectedUnplugs)
        #expect(summary("plug") == expectedPlugs)
        #expect(!decisions.contains { ["anomaly", "resync", "divergence"].contains($0["kind"] as? String) })
        let shadow = try #require(((try harness.state()["mdevs"] as? [String: Any])?[Self.mdev] as? [String: Any])?["shadow"] as? [String: Any])
        #expect((shadow["adapters"] as? [String])?.count == 4)
        #expect((shadow["domains"] as? [String])?.count == 64)
        print("daemon burst: \(events.count) events sent in \(sent - start), last decision after \(done - start), daemon \(peak)")
    }
}
