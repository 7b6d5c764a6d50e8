import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// Lost events over real netlink: the daemon in a private network namespace with a
/// tiny receive buffer, paused while a burst arrives, so that its socket overflows
/// (`ENOBUFS`). It must rescan, report `resync`, end up with the picture sysfs shows,
/// keep receiving and stop cleanly.
@Suite(
    "aphotplug daemon over real netlink: forced ENOBUFS", .serialized, .timeLimit(.minutes(2)),
    .enabled(if: NetlinkUeventSender.shouldRun, Comment(rawValue: NetlinkUeventSender.skipReason))
)
struct DaemonOverflowEndToEndTests {
    static let mdev = MonitorHarness.mdevUUID
    static let adapters: [UInt8] = [0x10, 0x11, 0x12, 0x13]
    static let domains = (0..<16).map { UInt8($0) }

    /// 4 adapters × 16 domains, all bound to vfio_ap, assigned to one mdev in use.
    static var host: HostSnapshot {
        .passthroughHost(
            adapters: adapters, domains: domains,
            mdevs: [HostSnapshot.Mdev(
                uuid: MdevUUID(mdev)!, assigned: APMatrix(adapters, domains),
                guestMatrix: APMatrix(adapters, domains), inUse: true)])
    }

    static func queues(of adapter: UInt8) -> [APQN] { domains.map { APQN(adapter: adapter, domain: $0) } }

    /// Makes sysfs show `queues` bound to vfio_ap (or unbound), as the kernel would.
    static func setDriver(_ queues: [APQN], _ driver: String?, in testbed: UmockdevTestbed) throws {
        for apqn in queues { try testbed.setDriver(of: APDevice.queue(apqn).devpath, to: driver) }
    }

    /// Makes sysfs show the guest configuration the kernel filters for `adapters`.
    static func setGuestMatrix(_ adapters: [UInt8], in testbed: UmockdevTestbed) throws {
        try testbed.writeFile("devices/vfio_ap/matrix/\(mdev)/guest_matrix", APMatrix(adapters, domains).matrixText)
    }

    @Test("a paused daemon with a tiny receive buffer overflows: resync, the state converges to sysfs, it keeps receiving, SIGTERM exits 0")
    func forcedOverflow() async throws {
        let harness = try await NetlinkDaemonHarness(host: Self.host, arguments: ["--receive-buffer", "4096", "--poll-interval", "3600"])
        let testbed = harness.testbed

        // The path works: a live unbind is received and unplugs adapter 13.
        try Self.setDriver([APQN(adapter: 0x13, domain: 0)], nil, in: testbed)
        try Self.setGuestMatrix([0x10, 0x11, 0x12], in: testbed)
        try harness.sender.send(KernelEvent.queue("unbind", "13.0000", seq: 1000))
        try await harness.waitForDecision("unplug-adapter") { $0["seq"] as? Int == 1000 }
        // Settled (read back) before the pause: a read-back after it, ahead of the overflow,
        // would rightly report the changes made meanwhile as a divergence.
        try await DaemonHarness.waitUntil(timeout: .seconds(5), "the state file after the unbind") {
            (try? harness.stateFile()["uevents"] as? Int) == 1
        }

        // While the daemon is stopped: adapters 10 and 11 flip eight times, then 11 stays
        // unbound and 13.0000 comes back. The first events (unbinds of adapter 10) fit the
        // buffer; taken alone, after the loss, they would unplug adapter 10 for good.
        try await harness.pause()
        try Self.setDriver(Self.queues(of: 0x11), nil, in: testbed)
        try Self.setDriver([APQN(adapter: 0x13, domain: 0)], "vfio_ap", in: testbed)
        try Self.setGuestMatrix([0x10, 0x12, 0x13], in: testbed)
        var seq: UInt64 = 1000
        var burst: [Uevent] = []
        func add(_ action: String, _ queues: [APQN], driver: String? = nil) {
            for apqn in queues {
                seq += 1
                burst.append(KernelEvent.queue(action, apqn.description, driver: driver, seq: seq))
            }
        }
        let flipping = Self.queues(of: 0x10) + Self.queues(of: 0x11)
        for _ in 0..<8 {
            add("unbind", flipping)
            add("bind", flipping, driver: "vfio_ap")
        }
        add("unbind", flipping)
        add("bind", Self.queues(of: 0x10) + [APQN(adapter: 0x13, domain: 0)], driver: "vfio_ap")
        try harness.sender.send(burst)
        // The kernel's uevent counter, which the rescan reads: the events of the burst
        // still queued after the overflow are older than the rescan and must not be fed.
        try testbed.writeFile("kernel/uevent_seqnum", "\(seq)\n")
        let lost = 1001...seq
        harness.process.send(signal: SIGCONT)

        try await harness.waitForDecision("resync")
        // Standard error comes through a pipe of its own, read on its own thread.
        try? await DaemonHarness.waitUntil(timeout: .seconds(5), "the rescan's log line") {
            harness.process.standardError.contains("ENOBUFS")
        }
        #expect(harness.process.standardError.contains("ENOBUFS"))
        // Settled, the daemon's model is what a fresh reading of sysfs gives ...
        let truth = try harness.truthText()
        try? await DaemonHarness.waitUntil(timeout: .seconds(5), "the state file to match sysfs") {
            (try? harness.stateText()) == truth
        }
        #expect(try harness.stateText() == truth)
        #expect(truth.contains(#""adapters":["10","12","13"]"#))
        // ... and no event of the burst was fed after the resync (it would roll the model back).
        let decisions = harness.decisions
        let resyncs = decisions.indices.filter { decisions[$0]["kind"] as? String == "resync" }
        #expect(resyncs.count == 1, "\(harness.process.standardError)")
        let stale = decisions[(resyncs.first ?? decisions.endIndex)...].filter { lost.contains(UInt64($0["seq"] as? Int ?? 0)) }
        #expect(stale.isEmpty, "decisions of the lost burst after the resync: \(stale)")

        // Still receiving after the overflow.
        try Self.setDriver([APQN(adapter: 0x12, domain: 0)], nil, in: testbed)
        try Self.setGuestMatrix([0x10, 0x13], in: testbed)
        try harness.sender.send(KernelEvent.queue("unbind", "12.0000", seq: seq + 1))
        let unplug = try await harness.waitForDecision("unplug-adapter") { $0["seq"] as? Int == Int(seq + 1) }
        #expect(unplug["adapters"] as? [String] == ["12"])
        let newTruth = try harness.truthText()
        try? await DaemonHarness.waitUntil(timeout: .seconds(5), "the state file to match sysfs") {
            (try? harness.stateText()) == newTruth
        }
        #expect(try harness.stateText() == newTruth)
        #expect(try harness.stateFile()["rescans"] as? Int == 1)
        #expect(!harness.decisions.contains { ["anomaly", "divergence"].contains($0["kind"] as? String) },
                "\(harness.process.outputLines.suffix(20))")

        #expect(harness.schedulerState.map { $0 != "Z" } == true, "the daemon must survive the receive error")
        harness.process.send(signal: SIGTERM)
        let termination = try await harness.process.waitForExit(timeout: .seconds(20))
        #expect(termination == ChildProcess.Termination(status: 0, bySignal: false), "stderr: \(harness.process.standardError)")
    }
}
