import APTestSupport
import Foundation
import Glibc
import Simulator

/// design.md: "Coldplug of a 65,536-queue tree: ready (sd_notify READY=1) within 1.5× the
/// time of tools/coldplug-floor.c ... on the same tree, measured side by side."
///
/// Compiles `tools/coldplug-floor.c` (gcc -O2) into the work directory, runs it and the
/// release daemon alternately on the same tree (one warm-up run of each first, so both
/// find the tree in the page cache), and reports medians. The daemon is timed from
/// `posix_spawn` to `READY=1` on a `NOTIFY_SOCKET` bound here, the floor from `posix_spawn`
/// to its exit; the daemon's `VmHWM` is read just before SIGTERM.
enum ColdplugBenchmark {
    static let floorSource = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/coldplug-floor.c").path

    static func run(on host: FullScaleTestbed, daemon: String, runs: Int) throws {
        let work = try makeWorkDirectory(host.testbed.root + "/coldplug")
        let sysRoot = host.testbed.sysRoot
        let floor = work + "/coldplug-floor"
        let compiler = try SpawnedProgram(
            "/usr/bin/gcc", ["-O2", "-o", floor, floorSource], environment: ProcessInfo.processInfo.environment,
            output: work + "/gcc.out", error: work + "/gcc.err")
        guard compiler.wait() == 0 else { throw BenchError("gcc -O2 \(floorSource) failed: \(contents(work + "/gcc.err"))") }

        func timeFloor() throws -> Double {
            let start = ContinuousClock.now
            let program = try SpawnedProgram(floor, [sysRoot], environment: [:], output: work + "/floor.out", error: work + "/floor.err")
            let status = program.wait()
            let elapsed = seconds(ContinuousClock.now - start)
            let expected = "\(host.flip.initial.queueIDs.count) queues"
            guard status == 0, contents(work + "/floor.out").hasPrefix(expected) else {
                throw BenchError("coldplug-floor: exit \(status), printed \(contents(work + "/floor.out")), expected \(expected)")
            }
            return elapsed
        }

        var round = 0
        func timeDaemon() throws -> (seconds: Double, peakKiB: Int) {
            round += 1
            let listener = try NotifyListener(path: work + "/notify")
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = listener.path
            environment["JOURNAL_STREAM"] = nil
            let start = ContinuousClock.now
            let program = try SpawnedProgram(
                daemon,
                ["daemon", "--sysfs-root", sysRoot, "--state-dir", work + "/state\(round)", "--log-target", "json", "--poll-interval", "3600"],
                environment: environment, output: work + "/daemon.out", error: work + "/daemon.err")
            guard listener.waitForReady(timeout: .seconds(120)) else {
                throw BenchError("the daemon sent no READY=1 within 120 s: \(contents(work + "/daemon.err"))")
            }
            let elapsed = seconds(ContinuousClock.now - start)
            // Let the first settle (read-back, state file) run: it belongs to the daemon's peak.
            usleep(300_000)
            let peak = program.peakResidentKiB ?? 0
            program.send(SIGTERM)
            let status = program.wait()
            guard status == 0 else { throw BenchError("the daemon exited with \(status) on SIGTERM: \(contents(work + "/daemon.err"))") }
            return (elapsed, peak)
        }

        print("coldplug: machine \(Machine.description)")
        _ = try timeFloor()
        _ = try timeDaemon()
        var floors: [Double] = []
        var daemons: [Double] = []
        var peaks: [Double] = []
        for _ in 0..<runs {
            floors.append(try timeFloor())
            let daemon = try timeDaemon()
            daemons.append(daemon.seconds)
            peaks.append(Double(daemon.peakKiB) / 1024)
        }
        let floorMedian = median(of: floors), daemonMedian = median(of: daemons)
        let queues = host.flip.initial.queueIDs.count
        print("coldplug: \(queues) queues, \(runs) alternating runs after one warm-up each")
        print("  coldplug-floor.c (gcc -O2): median \(milliseconds(floorMedian)) ms  [\(floors.map { "\(milliseconds($0))" }.joined(separator: " "))]")
        print("  aphotplug daemon to READY=1: median \(milliseconds(daemonMedian)) ms  [\(daemons.map { "\(milliseconds($0))" }.joined(separator: " "))]")
        print("  ratio daemon/floor: \(String(format: "%.2f", daemonMedian / floorMedian))× (target ≤ 1.5×)")
        print("  daemon peak RSS (VmHWM): median \(String(format: "%.1f", median(of: peaks))) MiB (target < 40 MiB)")
        print("  load average after: \(Machine.loadAverage)")
    }
}
