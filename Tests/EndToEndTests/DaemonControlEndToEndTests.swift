import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// The daemon's state file, `aphotplug status`, guest notifications over the control
/// socket (`aphotplug guest`, `aphotplug hook libvirt`) and `aphotplug record` → `replay`.
@Suite(
    "aphotplug daemon: status, guests, record",
    .enabled(if: UmockdevPreload.shouldRun, Comment(rawValue: UmockdevPreload.skipReason))
)
struct DaemonControlEndToEndTests {
    static let mdev = MonitorHarness.mdevUUID

    @Test("guest attach over the control socket raises the blocker; status shows it; detach clears it")
    func guestAttachAndStatus() async throws {
        let harness = try await DaemonHarness()
        let mode = try FileManager.default.attributesOfItem(atPath: harness.stateDir + "/control.sock")[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let attach = try DaemonHarness.run(["guest", "attach", "--mdev", Self.mdev, "--name", "vm1", "--state-dir", harness.stateDir])
        #expect(attach.status == 0, "\(attach.stderr)")
        let raised = try await harness.waitForDecision("blocker-raised")
        #expect(raised["guest"] as? String == "vm1")
        #expect(raised["mdev"] as? String == Self.mdev)
        let statePath = harness.statePath
        try await DaemonHarness.waitUntil(timeout: .seconds(10), "vm1 in state.json") {
            (try? String(contentsOfFile: statePath, encoding: .utf8))?.contains(#""guest":"vm1""#) == true
        }

        let status = try DaemonHarness.run(["status", "--state-dir", harness.stateDir])
        #expect(status.status == 0)
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("MDEV") && $0.contains("GUEST") && $0.contains("BLOCKER") })
        let row = try #require(lines.first { $0.hasPrefix(Self.mdev) && $0.contains("vm1") })
        #expect(row.split(separator: " ", omittingEmptySubsequences: true).map(String.init) == [Self.mdev, "vm1", "1", "1", "-", "yes"])
        #expect(status.stdout.contains("assigned 04.0006; in guest 04.0006"))

        let json = try DaemonHarness.run(["status", "--json", "--state-dir", harness.stateDir])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["updated"] is String)
        #expect(((object["state"] as? [String: Any])?["mdevs"] as? [String: Any])?[Self.mdev] != nil)

        let detach = try DaemonHarness.run(["guest", "detach", "--mdev", Self.mdev, "--state-dir", harness.stateDir])
        #expect(detach.status == 0)
        try await harness.waitForDecision("blocker-cleared")
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
        #expect(!FileManager.default.fileExists(atPath: harness.stateDir + "/control.sock"))
    }

    @Test("without a daemon: guest exits 69, status exits 66, the libvirt hook prints and exits 0")
    func daemonAbsent() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/aphotplug-absent-\(getpid())"
        let guest = try DaemonHarness.run(["guest", "attach", "--mdev", Self.mdev, "--name", "vm1", "--state-dir", directory])
        #expect(guest.status == 69)
        #expect(guest.stderr.contains("not running"))
        let status = try DaemonHarness.run(["status", "--state-dir", directory])
        #expect(status.status == 66)
        #expect(status.stderr.contains("is aphotplug daemon running"))
    }

    @Test("the libvirt hook delivers to the running daemon")
    func hookDelivers() async throws {
        let harness = try await DaemonHarness()
        let xml = """
            <domain type='kvm'><name>crypto-guest1</name><devices>
            <hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='\(Self.mdev)'/></source></hostdev>
            </devices></domain>
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutable.path(named: "aphotplug"))
        process.arguments = ["hook", "libvirt", "crypto-guest1", "started", "begin", "-"]
        process.environment = ["APHOTPLUG_STATE_DIR": harness.stateDir]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(xml.utf8))
        try input.fileHandleForWriting.close()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(printed.isEmpty)
        let raised = try await harness.waitForDecision("blocker-raised")
        #expect(raised["guest"] as? String == "crypto-guest1")
        _ = try await harness.stop()
    }

    @Test("record, then replay the trace: the same decisions as the daemon printed")
    func recordReplay() async throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let trace = testbed.root + "/trace.jsonl"
        let harness = try await DaemonHarness(command: "record", arguments: ["--output", trace], testbed: testbed)
        let queue = APDevice.queue(APQN(adapter: 4, domain: 6)).devpath
        try testbed.setDriver(of: queue, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("unbind", "04.0006", seq: 300))
        try await harness.waitForDecision("unplug-adapter")
        try testbed.setDriver(of: queue, to: "vfio_ap")
        _ = try harness.injector.send(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 301))
        try await harness.waitForDecision("plug")
        #expect(try DaemonHarness.run(["guest", "attach", "--mdev", Self.mdev, "--name", "vm1", "--state-dir", harness.stateDir]).status == 0)
        try await harness.waitForDecision("blocker-raised")
        // A burst of 512 more events, recorded as they come. The kernel numbers uevents
        // without holes; a hole inside a burst would (rightly) make the daemon rescan.
        var burst: [Uevent] = []
        for round in 0..<256 {
            let seq = UInt64(302 + 2 * round)
            burst.append(KernelEvent.queue("unbind", "04.0006", seq: seq))
            burst.append(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: seq + 1))
        }
        try harness.injector.send(burst)
        try await harness.waitForDecision("plug") { $0["seq"] as? Int == 813 }
        // An assignment the kernel reports with no uevent: the read-back after the burst sees it.
        let mdevDir = "devices/vfio_ap/matrix/\(Self.mdev)"
        try testbed.writeFile(mdevDir + "/matrix", "04.0006\n04.0007\n")
        try await harness.waitForDecision("unplug-adapter", timeout: .seconds(15)) { $0["cause"] as? String == "domain 0007 assigned" }
        try await harness.waitForDecision("blocker-updated", timeout: .seconds(15))
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))

        let daemonDecisions = harness.process.outputLines.filter { $0.hasPrefix("{") }
        let replay = try DaemonHarness.run(["replay", trace])
        #expect(replay.status == 0, "\(replay.stderr)")
        let replayed = replay.stdout.split(separator: "\n").map(String.init)
        #expect(replayed == daemonDecisions)
        let records = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        #expect(records.first?.hasPrefix(#"{"type":"snapshot""#) == true)
        #expect(records.filter { $0.hasPrefix(#"{"type":"uevent""#) }.count == 514)
        #expect(daemonDecisions.count > 512)
        #expect(records.contains { $0.hasPrefix(#"{"type":"guest","action":"attach""#) })
        #expect(records.contains { $0.hasPrefix(#"{"type":"observe""#) && $0.contains("/matrix\"") })
    }

    @Test("record killed with SIGKILL: the trace is valid JSON Lines up to there and replays the decisions made")
    func recordSurvivesAKill() async throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let trace = testbed.root + "/trace.jsonl"
        let harness = try await DaemonHarness(command: "record", arguments: ["--output", trace], testbed: testbed)
        let queue = APDevice.queue(APQN(adapter: 4, domain: 6)).devpath
        try testbed.setDriver(of: queue, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("unbind", "04.0006", seq: 300))
        try await harness.waitForDecision("unplug-adapter")
        harness.process.send(signal: SIGKILL)
        _ = try await harness.process.waitForExit()
        let text = try String(contentsOfFile: trace, encoding: .utf8)
        #expect(text.hasSuffix("\n"), "every record was written whole")
        let replay = try DaemonHarness.run(["replay", trace])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("\"kind\":\"unplug-adapter\""))
        // The burst's read-back: the host configuration masks, fed while the scan was open.
        let lines = text.split(separator: "\n")
        let unbind = try #require(lines.firstIndex { $0.hasPrefix(#"{"type":"uevent""#) })
        #expect(lines[unbind...].contains { $0.contains("/sys/bus/ap/ap_adapter_mask") })
    }

    @Test("--metrics-file: the daemon writes node_exporter's textfile after the burst, atomically")
    func metricsFile() async throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let metrics = testbed.root + "/aphotplug.prom"
        let harness = try await DaemonHarness(command: "daemon", arguments: ["--metrics-file", metrics], testbed: testbed)
        try testbed.setDriver(of: APDevice.queue(APQN(adapter: 4, domain: 6)).devpath, to: nil)
        _ = try harness.injector.send(KernelEvent.queue("unbind", "04.0006", seq: 300))
        try await harness.waitForDecision("unplug-adapter")
        let deadline = ContinuousClock.now + .seconds(10)
        var text = ""
        while ContinuousClock.now < deadline {
            text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
            if text.contains(#"aphotplug_decisions_total{kind="unplug-adapter"} 1"#) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(text.contains(#"aphotplug_decisions_total{kind="unplug-adapter"} 1"#), "\(text)")
        #expect(text.contains("aphotplug_uevents_total 1"))
        #expect(text.contains("# TYPE aphotplug_coldplug_duration_seconds gauge"))
        #expect(text.contains(#"aphotplug_apqns_in_guest{mdev="\#(Self.mdev)""#))
        #expect(!FileManager.default.fileExists(atPath: metrics + ".tmp"))
        try Self.expectMetricsMatchStatus(metrics: metrics, stateDir: harness.stateDir)
        _ = try await harness.stop()
    }

    /// Parses the metrics file with the Prometheus project's own Python parser
    /// (`prometheus_client`, installed by `.ci/run`) and checks the per-mdev values
    /// against `aphotplug status --json`.
    static func expectMetricsMatchStatus(metrics: String, stateDir: String) throws {
        let parser = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for sample in family.samples:
                    out[sample.name + json.dumps(sample.labels, sort_keys=True)] = sample.value
            print(json.dumps(out))
            """
        // Debian's python3-prometheus-client (scripts/ensure-packages), for Debian's python3.
        let parsed = try DaemonHarness.runShell("/usr/bin/python3 -c '\(parser)' '\(metrics)'")
        if parsed.status != 0 && ProcessInfo.processInfo.environment["CI"] == nil && parsed.stderr.contains("No module named") {
            print("skipping the Prometheus parser check: prometheus_client is not installed (apt-get install python3-prometheus-client)")
            return
        }
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let samples = try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Double] ?? [:]
        let status = try DaemonHarness.run(["status", "--json", "--state-dir", stateDir])
        let file = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        let mdevs = try #require((file?["state"] as? [String: Any])?["mdevs"] as? [String: Any])
        #expect(!mdevs.isEmpty)
        for (uuid, value) in mdevs {
            let entry = try #require(value as? [String: Any])
            func count(_ key: String) -> Double {
                let matrix = entry[key] as? [String: Any]
                return Double(((matrix?["adapters"] as? [String]) ?? []).count * ((matrix?["domains"] as? [String]) ?? []).count)
            }
            let labels = "{\"guest\": \"\((entry["guest"] as? String) ?? "")\", \"mdev\": \"\(uuid)\"}"
            #expect(samples["aphotplug_apqns_assigned" + labels] == count("assigned"), "\(uuid): \(samples)")
            #expect(samples["aphotplug_apqns_in_guest" + labels] == count("shadow"))
            #expect(samples["aphotplug_migration_blocked" + labels] == ((entry["blocker"] as? Bool) == true ? 1 : 0))
        }
        #expect(samples["aphotplug_uevents_total{}"] == Double((file?["uevents"] as? Int) ?? -1))
    }

    @Test("a restarted daemon takes back from state.json the names of guests still running, not of guests that stopped")
    func restartKeepsGuestNames() async throws {
        let testbed = try UmockdevTestbed()
        var host = HostSnapshot.standard
        host.mdevs[0].inUse = true
        try testbed.write(host)
        let first = try await DaemonHarness(command: "daemon", testbed: testbed)
        #expect(try DaemonHarness.run(["guest", "attach", "--mdev", Self.mdev, "--name", "vm1", "--state-dir", first.stateDir]).status == 0)
        // Wait until the state file names vm1, as after any settled burst.
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline, !((try? String(contentsOfFile: first.statePath, encoding: .utf8)) ?? "").contains("\"vm1\"") {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(((try? String(contentsOfFile: first.statePath, encoding: .utf8)) ?? "").contains("\"vm1\""))
        first.process.send(signal: SIGKILL)
        _ = try await first.process.waitForExit()
        let second = try await DaemonHarness(command: "daemon", testbed: testbed, keepingState: true)
        let raised = try await second.waitForDecision("blocker-raised")
        #expect(raised["guest"] as? String == "vm1", "\(raised)")
        _ = try await second.stop()
        // The guest stops while no daemon runs: the name is not brought back.
        try testbed.writeFile("devices/ap/card04/04.0006/status", "assigned\n")
        let before = try String(contentsOfFile: second.statePath, encoding: .utf8)
        let third = try await DaemonHarness(command: "daemon", testbed: testbed, keepingState: true)
        var status = ""
        let rewritten = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < rewritten {
            status = try DaemonHarness.run(["status", "--json", "--state-dir", third.stateDir]).stdout
            if !status.isEmpty && status != before { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(status != before, "the third daemon wrote its state")
        #expect(!status.contains("\"vm1\""), "\(status)")
        _ = try await third.stop()
    }
}
