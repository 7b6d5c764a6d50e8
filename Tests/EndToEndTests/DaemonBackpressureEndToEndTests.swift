import APModel
import APTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

/// A daemon that cannot keep up must leave the backlog in its monitor socket (bounded,
/// and reported as ENOBUFS when it overflows), not pile it up in its own memory.
@Suite(
    "aphotplug daemon: backpressure on the monitor socket",
    .enabled(if: UmockdevPreload.shouldRun, Comment(rawValue: UmockdevPreload.skipReason))
)
struct DaemonBackpressureEndToEndTests {
    /// Collects a pipe's lines on a thread of its own, once started.
    final class PipeDrain: Sendable {
        private let lines = Mutex<[String]>([])

        func start(_ handle: FileHandle) {
            Thread { [self] in
                var pending = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    pending += chunk
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                        lines.withLock { $0.append(line) }
                        pending = Data(pending[(newline + 1)...])
                    }
                }
            }.start()
        }

        var all: [String] { lines.withLock { $0 } }
    }

    @Test("standard output blocked: the daemon stops reading uevents after a bounded backlog; unblocked, it handles them all")
    func stalledConsumer() async throws {
        let host = DaemonCommandEndToEndTests.wideHost
        let testbed = try UmockdevTestbed()
        try testbed.write(host)
        // Standard output is a pipe nobody reads yet: once its 64 KiB are full, every
        // decision the daemon writes blocks its consumer.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutable.path(named: "aphotplug"))
        process.arguments = ["daemon", "--state-dir", testbed.root + "/state", "--log-target", "json"]
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = try UmockdevPreload.require()
        environment["UMOCKDEV_DIR"] = testbed.root
        environment["JOURNAL_STREAM"] = nil
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        let statePath = testbed.root + "/state/state.json"
        try await DaemonHarness.waitUntil(timeout: .seconds(20), "state.json after coldplug") {
            FileManager.default.fileExists(atPath: statePath)
        }

        // Each unbind and rebind unplugs and plugs an adapter of 64 queues: about 2 KiB of decisions.
        var seq: UInt64 = 10_000
        var events: [Uevent] = []
        for _ in 0..<4 {
            for apqn in host.queues.map(\.apqn) {
                seq += 1
                events.append(KernelEvent.queue("unbind", apqn.description, seq: seq))
                seq += 1
                events.append(KernelEvent.queue("bind", apqn.description, driver: "vfio_ap", seq: seq))
            }
        }
        let stalled = try UeventInjector(testbed: testbed, sendTimeout: .seconds(2))
        var sent = 0
        do {
            while sent < events.count {
                try stalled.send(events[sent])
                sent += 1
            }
        } catch HarnessError.sendTimedOut {}
        // The pipe (~30 pairs of decisions), the daemon's bounded backlog (256) and the
        // socket's queue (~11) hold a few hundred events, far from all 2,048.
        #expect(sent < 1_000, "the daemon read \(sent) of \(events.count) events while it could not write a decision")

        let drain = PipeDrain()
        drain.start(output.fileHandleForReading)
        let unstalled = try UeventInjector(testbed: testbed, sendTimeout: .seconds(20))
        try unstalled.send(Array(events[sent...]))
        let last = Int(seq)
        try await DaemonHarness.waitUntil(timeout: .seconds(60), "the plug of the last event") {
            drain.all.contains { $0.contains(#""seq":\#(last),"kind":"plug""#) }
        }
        let decisions = drain.all.compactMap { try? MonitorHarness.object($0) }
        let plugs = decisions.filter { $0["kind"] as? String == "plug" }.compactMap { $0["seq"] as? Int }
        // Every bind of the burst plugged its adapter back: none was lost.
        #expect(plugs == events.filter { $0.action == "bind" }.compactMap { $0.seqnum.map(Int.init) })
        #expect(!decisions.contains { ["anomaly", "resync", "divergence"].contains($0["kind"] as? String) })
        kill(process.processIdentifier, SIGTERM)
        try await DaemonHarness.waitUntil(timeout: .seconds(20), "the daemon to exit") { !process.isRunning }
        #expect(process.terminationStatus == 0)
    }
}
