import APTestSupport
import APModel
import Agent
import Foundation
import Glibc
import HotplugEngine
import Simulator

/// `aphotplug-bench handle`: one uevent through the release `aphotplug handle`
/// on a 65,536-queue host, process start included (target < 50 ms).
///
/// Writes the full-scale tree once (``FullScaleFlip``'s host after the flip:
/// every queue bound to vfio_ap, four mdevs with guests) to a temporary
/// directory (tmpfs when `/dev/shm` is writable), measures a first event
/// without saved state (a full scan), primes the saved state, then times
/// `runs` spawns of `aphotplug handle --sysfs-root TREE --state-dir DIR` with
/// alternating unbind and bind events of queue 00.0000 in the environment.
enum HandleBenchmark {
    static let target: Duration = .milliseconds(50)

    static func run(runs: Int, flip: FullScaleFlip) throws {
        let binary = try BuiltExecutable.path(named: "aphotplug")
        let base = FullScaleTestbed.base ?? NSTemporaryDirectory()
        let directory = base + "/aphotplug-bench-handle.\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sysfs = directory + "/sys"

        let clock = ContinuousClock()
        let written = clock.now
        _ = try SimulatedSysfsTree(root: sysfs, kernel: flip.final)
        print("tree: 65,536 queues, 4 mdevs, written to \(directory) in \(milliseconds(clock.now - written)) ms")

        var seqnum: UInt64 = 1_000
        func event() -> [String: String] {
            seqnum += 1
            var environment = [
                "PATH": "/usr/bin:/bin", "ACTION": seqnum % 2 == 0 ? "bind" : "unbind",
                "DEVPATH": "/devices/ap/card00/00.0000", "SUBSYSTEM": "ap", "DEVTYPE": "ap_queue", "MODE": "cca",
                "SEQNUM": String(seqnum),
            ]
            if seqnum % 2 == 0 { environment["DRIVER"] = "vfio_ap" }
            return environment
        }
        func handle(stateDir: String) throws -> Duration {
            let arguments = ["handle", "--log-target", "json", "--sysfs-root", sysfs, "--state-dir", stateDir]
            return try clock.measure { try spawn(binary, arguments, environment: event()) }
        }

        // No saved state: the event is handled by a full scan.
        var scans: [Duration] = []
        for index in 0..<3 { scans.append(try handle(stateDir: directory + "/fresh\(index)")) }
        let stateDir = directory + "/state"
        _ = try handle(stateDir: stateDir)  // primes engine.state

        var samples: [Duration] = []
        for _ in 0..<runs { samples.append(try handle(stateDir: stateDir)) }
        samples.sort()
        let middle = samples[samples.count / 2]
        let p90 = samples[min(samples.count - 1, Int((Double(samples.count) * 0.9).rounded(.up)) - 1)]

        // The floor: the same binary doing nothing but start and exit.
        var starts = try (0..<runs).map { _ in try clock.measure { try spawn(binary, ["--version"], environment: [:]) } }
        starts.sort()

        let bytes = Array((try? Data(contentsOf: URL(fileURLWithPath: EngineStateFile.path(in: stateDir)))) ?? Data())
        var checkpoint: DaemonCore.Checkpoint?
        let decode = median(runs: runs) { checkpoint = try? EngineStateFile.decode(file: bytes).checkpoint }
        guard let checkpoint else { throw BenchError("engine.state written by aphotplug handle does not decode") }
        let encode = median(runs: runs) { _ = EngineStateFile.encode(checkpoint, bootID: EngineStateFile.currentBootID()) }

        let verdict = middle < target ? "met" : "NOT met"
        print("handle: one unbind/bind event, saved state, process start included: median \(milliseconds(middle)) ms, "
              + "p90 \(milliseconds(p90)) ms over \(runs) runs (target < \(milliseconds(target)) ms: \(verdict))")
        print("aphotplug --version (process start and exit alone): median \(milliseconds(starts[starts.count / 2])) ms")
        print("handle: first event without saved state (full scan of 65,536 queues): median \(milliseconds(scans.sorted()[1])) ms of 3")
        print("engine.state: \(bytes.count) bytes; encode \(microseconds(encode)) µs, decode \(microseconds(decode)) µs (median in-process)")
    }

    /// `duration` in milliseconds with one decimal: process spawns are a few ms each.
    static func milliseconds(_ duration: Duration) -> String { String(format: "%.1f", seconds(duration) * 1e3) }

    static func microseconds(_ seconds: Double) -> String { String(format: "%.0f", seconds * 1e6) }

    /// Runs `binary` to its end; a failure stops the benchmark.
    static func spawn(_ binary: String, _ arguments: [String], environment: [String: String]) throws {
        let program = try SpawnedProgram(binary, arguments, environment: environment, output: "/dev/null", error: "/dev/null")
        let status = program.wait()
        guard status == 0 else { throw BenchError("\(binary) \(arguments.joined(separator: " ")) exited with \(status)") }
    }
}
