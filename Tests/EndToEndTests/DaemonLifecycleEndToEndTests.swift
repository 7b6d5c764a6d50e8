import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// The daemon's sd_notify protocol, periodic read-backs, lost-event resyncs and text output.
@Suite(
    "aphotplug daemon: systemd, polling, resync, text output",
    .enabled(if: UmockdevPreload.shouldRun, Comment(rawValue: UmockdevPreload.skipReason))
)
struct DaemonLifecycleEndToEndTests {
    static let mdev = MonitorHarness.mdevUUID

    @Test("READY=1 with STATUS, WATCHDOG=1 at half WATCHDOG_USEC, STOPPING=1 on SIGTERM")
    func systemdNotify() async throws {
        let receiver = try DatagramReceiver()
        let harness = try await DaemonHarness(environment: [
            "NOTIFY_SOCKET": receiver.notifySocket, "WATCHDOG_USEC": "200000",
        ])
        let ready = try #require(receiver.receive())
        #expect(ready.split(separator: "\n").contains("READY=1"))
        #expect(ready.contains("STATUS=following 3 queues, 1 mdevs"))
        // Read on as systemd does: the pings would otherwise fill the socket's queue
        // (net.unix.max_dgram_qlen) and hold up the daemon's STOPPING=1.
        nonisolated(unsafe) let reader = receiver
        let child = harness.process
        let received = await withCheckedContinuation { (done: CheckedContinuation<[String], Never>) in
            DispatchQueue.global().async {
                var all: [String] = []
                while let datagram = reader.receive() {
                    all.append(datagram)
                    if datagram.contains("STOPPING=1") { break }
                    if all.count == 1 { child.send(signal: SIGTERM) }
                }
                done.resume(returning: all)
            }
        }
        #expect(received.first == "WATCHDOG=1")
        #expect(try await harness.process.waitForExit(timeout: .seconds(20)) == ChildProcess.Termination(status: 0, bySignal: false))
        #expect(received.contains { $0.split(separator: "\n").contains("STOPPING=1") })
    }

    @Test("a guest_matrix change without any uevent is found by the poll and reported as divergence")
    func pollFindsSilentChange() async throws {
        let harness = try await DaemonHarness(arguments: ["--poll-interval", "0.2"])
        try harness.testbed.writeFile("devices/vfio_ap/matrix/\(Self.mdev)/guest_matrix", "\n")
        let divergence = try await harness.waitForDecision("divergence", timeout: .seconds(10))
        #expect(divergence["mdev"] as? String == Self.mdev)
        _ = try await harness.stop()
    }

    @Test("a COMPLETECOUNT gap causes a rescan: resync, and the change made meanwhile is found")
    func completeCountGapResyncs() async throws {
        let harness = try await DaemonHarness()
        _ = try harness.injector.send(KernelEvent.busRoot(["BINDINGS": "complete", "COMPLETECOUNT": "1"], seq: 400))
        // Lost: the unbind of 04.0006. Sysfs shows it; the next COMPLETECOUNT skips one.
        try harness.testbed.setDriver(of: APDevice.queue(APQN(adapter: 4, domain: 6)).devpath, to: nil)
        _ = try harness.injector.send(KernelEvent.busRoot(["BINDINGS": "complete", "COMPLETECOUNT": "3"], seq: 402))
        let resync = try await harness.waitForDecision("resync") { $0["seq"] as? Int == 402 }
        #expect((resync["cause"] as? String)?.contains("COMPLETECOUNT") == true)
        let unplug = try await harness.waitForDecision("unplug-adapter")
        #expect(unplug["adapters"] as? [String] == ["04"])
        #expect(harness.process.standardError.contains("rescanning"))
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
    }

    @Test("a SEQNUM hole inside an AP burst causes a rescan: resync, and the lost unbind is found")
    func seqnumGapResyncs() async throws {
        let harness = try await DaemonHarness()
        // A burst: 04.0007 bound, then 04.0006 unbound (lost, seq 601), then 05.0006 changed.
        try harness.testbed.setDriver(of: APDevice.queue(APQN(adapter: 4, domain: 7)).devpath, to: "vfio_ap")
        _ = try harness.injector.send(KernelEvent.queue("bind", "04.0007", driver: "vfio_ap", seq: 600))
        try harness.testbed.setDriver(of: APDevice.queue(APQN(adapter: 4, domain: 6)).devpath, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("change", "05.0006", extra: ["CONFIG": "1"], seq: 602))
        let resync = try await harness.waitForDecision("resync")
        #expect((resync["cause"] as? String)?.contains("re-read") == true)
        let unplug = try await harness.waitForDecision("unplug-adapter")
        #expect(unplug["adapters"] as? [String] == ["04"])
        #expect(harness.process.standardError.contains("SEQNUM gap: 1 event(s) between 600 and 602 never arrived"))
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
    }

    @Test("a guest started without the hook is found by polling queue status: blocker raised, then cleared")
    func unnamedGuestFromQueueStatus() async throws {
        let harness = try await DaemonHarness(arguments: ["--poll-interval", "0.2"])
        let status = "devices/ap/card04/04.0006/status"
        try harness.testbed.writeFile(status, "in use\n")
        let raised = try await harness.waitForDecision("blocker-raised")
        #expect(raised["mdev"] as? String == Self.mdev)
        #expect(raised["guest"] is NSNull)
        #expect((raised["cause"] as? String)?.contains("unnamed guest") == true)
        try harness.testbed.writeFile(status, "assigned\n")
        let cleared = try await harness.waitForDecision("blocker-cleared")
        #expect(cleared["mdev"] as? String == Self.mdev)
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
    }

    @Test("--log-target text prints one readable line per decision")
    func textOutput() async throws {
        let harness = try await DaemonHarness(arguments: ["--log-target", "text"])
        try harness.testbed.setDriver(of: APDevice.queue(APQN(adapter: 4, domain: 6)).devpath, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("unbind", "04.0006", seq: 500))
        let line = try await harness.process.waitForLine(timeout: .seconds(10), "a text decision") { $0.hasPrefix("seq=500 ") }
        #expect(line == "seq=500 unplug-adapter mdev=\(Self.mdev) adapters=04 apqns=04.0006: queue 04.0006 unbound from vfio_ap")
        _ = try await harness.stop()
    }
}

extension DaemonLifecycleEndToEndTests {
    @Test("a restart in the middle of an apmask flip converges: the new daemon reads the half-flipped tree, then follows")
    func restartMidBurst() async throws {
        let host = DaemonCommandEndToEndTests.wideHost
        let testbed = try UmockdevTestbed()
        try testbed.write(host)
        let apqns = host.queues.map(\.apqn)
        var seq: UInt64 = 20_000

        let first = try await DaemonHarness(testbed: testbed)
        for apqn in apqns {
            seq += 1
            try testbed.setDriver(of: APDevice.queue(apqn).devpath, to: nil)
            _ = try first.injector.send(KernelEvent.queue("unbind", apqn.description, seq: seq))
        }
        // The kernel empties the guest's configuration as the adapters leave vfio_ap.
        try testbed.writeFile("devices/vfio_ap/matrix/\(Self.mdev)/guest_matrix", "\n")
        try await first.waitForDecision("unplug-adapter") { ($0["adapters"] as? [String]) == ["13"] }
        #expect(try await first.stop() == ChildProcess.Termination(status: 0, bySignal: false))

        let second = try await DaemonHarness(testbed: testbed)
        let coldShadow = try #require(((try second.state()["mdevs"] as? [String: Any])?[Self.mdev] as? [String: Any])?["shadow"] as? [String: Any])
        #expect(coldShadow["adapters"] as? [String] == [])
        for apqn in apqns {
            seq += 1
            try testbed.setDriver(of: APDevice.queue(apqn).devpath, to: "vfio_ap")
            _ = try second.injector.send(KernelEvent.queue("bind", apqn.description, driver: "vfio_ap", seq: seq))
        }
        try await second.waitForDecision("plug", timeout: .seconds(30)) { $0["seq"] as? Int == Int(seq) }
        #expect(try await second.stop() == ChildProcess.Termination(status: 0, bySignal: false))
        let plugged = second.decisions.filter { $0["kind"] as? String == "plug" }.flatMap { $0["adapters"] as? [String] ?? [] }
        #expect(plugged.sorted() == ["10", "11", "12", "13"])
        let shadow = try #require(((try second.state()["mdevs"] as? [String: Any])?[Self.mdev] as? [String: Any])?["shadow"] as? [String: Any])
        #expect((shadow["adapters"] as? [String])?.count == 4)
        #expect((shadow["domains"] as? [String])?.count == 64)
    }
}

extension DaemonLifecycleEndToEndTests {
    @Test("--log-target journal sends one datagram of structured fields per decision")
    func journalFields() async throws {
        let directory = try TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.path + "/journal.sock")
        let harness = try await DaemonHarness(arguments: ["--log-target", "journal", "--journal-socket", receiver.notifySocket])
        try harness.testbed.setDriver(of: APDevice.queue(APQN(adapter: 4, domain: 6)).devpath, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("unbind", "04.0006", seq: 600))
        let datagram = try #require(receiver.receive())
        _ = try await harness.stop()
        let fields = Dictionary(datagram.split(separator: "\n").map { line -> (String, String) in
            let parts = line.split(separator: "=", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }, uniquingKeysWith: { first, _ in first })
        #expect(fields["MESSAGE_ID"] == "e4a0543629b54c76b6e911445ea3e662")
        #expect(fields["APHOTPLUG_KIND"] == "unplug-adapter")
        #expect(fields["APHOTPLUG_SEQ"] == "600")
        #expect(fields["APHOTPLUG_MDEV"] == Self.mdev)
        #expect(fields["APHOTPLUG_APQNS"] == "04.0006")
        #expect(fields["PRIORITY"] == "5")
        #expect(fields["SYSLOG_IDENTIFIER"] == "aphotplug")
        #expect(fields["MESSAGE"]?.hasPrefix("seq=600 unplug-adapter") == true)
        #expect(!harness.process.outputLines.contains { $0.contains("unplug-adapter") })
    }
}

extension DaemonLifecycleEndToEndTests {
    @Test("under systemd (JOURNAL_STREAM set) decisions go to the journal by default; stdout stays quiet")
    func journalByDefaultUnderSystemd() async throws {
        let directory = try TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.path + "/journal.sock")
        let harness = try await DaemonHarness(
            arguments: ["--journal-socket", receiver.notifySocket], environment: ["JOURNAL_STREAM": "8:12345"])
        try harness.testbed.setDriver(of: APDevice.queue(APQN(adapter: 4, domain: 6)).devpath, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("unbind", "04.0006", seq: 700))
        let datagram = try #require(receiver.receive())
        _ = try await harness.stop()
        #expect(datagram.contains("APHOTPLUG_KIND=unplug-adapter\n"))
        #expect(datagram.contains("APHOTPLUG_SEQ=700\n"))
        #expect(harness.process.outputLines.isEmpty)
    }
}
