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

    static func run(runs: Int, flip: FullScaleFlip) {
        print("machine: \(Machine.description)")
        let binary = siblingExecutable("aphotplug")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            fatalError("\(binary) is missing: build it with `swift build -c release --product aphotplug` first")
        }
        let base = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : NSTemporaryDirectory()
        let directory = base + "/aphotplug-bench-handle.\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sysfs = directory + "/sys"

        let clock = ContinuousClock()
        let written = clock.now
        do {
            _ = try SimulatedSysfsTree(root: sysfs, kernel: flip.final)
        } catch {
            fatalError("cannot write the full-scale tree: \(error)")
        }
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
        func handle(stateDir: String) -> Duration {
            let arguments = ["handle", "--log-target", "json", "--sysfs-root", sysfs, "--state-dir", stateDir]
            return clock.measure { Spawn.run(binary, arguments: arguments, environment: event()) }
        }

        // No saved state: the event is handled by a full scan.
        var scans: [Duration] = []
        for index in 0..<3 { scans.append(handle(stateDir: directory + "/fresh\(index)")) }
        let stateDir = directory + "/state"
        _ = handle(stateDir: stateDir)  // primes engine.state

        var samples: [Duration] = []
        for _ in 0..<runs { samples.append(handle(stateDir: stateDir)) }
        samples.sort()
        let median = samples[samples.count / 2]
        let p90 = samples[min(samples.count - 1, Int((Double(samples.count) * 0.9).rounded(.up)) - 1)]

        // The floor: the same binary doing nothing but start and exit.
        var starts = (0..<runs).map { _ in clock.measure { Spawn.run(binary, arguments: ["--version"], environment: [:]) } }
        starts.sort()

        let bytes = Array((try? Data(contentsOf: URL(fileURLWithPath: EngineStateFile.path(in: stateDir)))) ?? Data())
        var checkpoint: DaemonCore.Checkpoint?
        let decode = medianOf(runs) { checkpoint = try? EngineStateFile.decode(bytes).checkpoint }
        guard let checkpoint else { fatalError("engine.state written by aphotplug handle does not decode") }
        let encode = medianOf(runs) { _ = EngineStateFile.encode(checkpoint, bootID: EngineStateFile.currentBootID()) }

        let verdict = median < target ? "met" : "NOT met"
        print("handle: one unbind/bind event, saved state, process start included: median \(milliseconds(median)) ms, "
              + "p90 \(milliseconds(p90)) ms over \(runs) runs (target < \(milliseconds(target)) ms: \(verdict))")
        print("aphotplug --version (process start and exit alone): median \(milliseconds(starts[starts.count / 2])) ms")
        print("handle: first event without saved state (full scan of 65,536 queues): median \(milliseconds(scans.sorted()[1])) ms of 3")
        print("engine.state: \(bytes.count) bytes; encode \(microseconds(encode)) µs, decode \(microseconds(decode)) µs (median in-process)")
    }

    static func medianOf(_ runs: Int, _ body: () -> Void) -> Duration {
        let clock = ContinuousClock()
        var samples = (0..<runs).map { _ in clock.measure(body) }
        samples.sort()
        return samples[samples.count / 2]
    }

    static func milliseconds(_ duration: Duration) -> String {
        let value = Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.1f", value)
    }

    static func microseconds(_ duration: Duration) -> String {
        String(format: "%.0f", Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12)
    }

    /// An executable built next to this one (`.build/release/`).
    static func siblingExecutable(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path + "/" + name
    }
}

/// Starts a program with `posix_spawn(3)` (standard output to /dev/null) and waits for it.
enum Spawn {
    static func run(_ path: String, arguments: [String], environment: [String: String]) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else { fatalError("posix_spawn \(path): \(String(cString: strerror(result)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { fatalError("\(path) \(arguments.joined(separator: " ")) failed with wait status \(status)") }
    }
}

/// The machine the benchmarks ran on: CPU model, online cores, load averages.
enum Machine {
    static var description: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?" } ?? "unknown CPU"
        let load = ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?")
            .split(separator: " ").prefix(3).joined(separator: " ")
        return "\(model), \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores online, load \(load)"
    }
}
