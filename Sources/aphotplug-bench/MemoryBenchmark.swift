import APModel
import APTestSupport
import Foundation
import Glibc
import Simulator

/// Streaming replay (issue: streaming replay and record): the peak resident set
/// of `aphotplug replay` must not grow with the trace. Replays the full-scale
/// apmask flip as udevadm text over the full-scale tree, once (131,073 events)
/// and as 8 flips back and forth (1,048,584 events), each in its own process,
/// and reports each process's peak RSS (`ru_maxrss`).
enum MemoryBenchmark {
    static func replay(on host: FullScaleTestbed, flip: FullScaleFlip, binary: String) throws {
        let work = try makeWorkDirectory(host.testbed.root + "/memory")
        let once = work + "/flip-1x.trace", eight = work + "/flip-8x.trace"
        try write(UdevadmMonitorText.render(flip.records), to: once)
        // 7 more flips: all queues back to the host (apmask all ones), then to vfio_ap again, …
        var simulation = Simulation(kernel: flip.final)
        guard let file = FileHandle(forWritingAtPath: try create(eight)) else { throw BenchError("\(eight): cannot open") }
        file.write(Data(UdevadmMonitorText.render(flip.records).utf8))
        var events = flip.uevents.count
        for index in 1..<8 {
            let mask = index % 2 == 1 ? APMask.all.sysfsHex : "0x"
            let step = try simulation.perform(.writeMask(.apmask, mask))
            let text = UdevadmMonitorText.render(step.records)
            file.write(Data(text.utf8.dropFirst(UdevadmMonitorText.preamble.utf8.count)))
            events += step.records.filter { if case .uevent = $0 { true } else { false } }.count
        }
        try file.close()
        var peaks: [Int] = []
        for (name, path, count) in [("1x", once, flip.uevents.count), ("8x", eight, events)] {
            // Through GNU time, which forks a small process to exec replay: wait4's ru_maxrss of a
            // child spawned straight from this (large) process would count this process's pages.
            let peakFile = work + "/replay-\(name).rss"
            let program = try SpawnedProgram(
                "/usr/bin/time", ["-f", "%M", "-o", peakFile, binary, "replay", "--sysfs-root", host.testbed.sysRoot, "--final-state", path],
                environment: ProcessInfo.processInfo.environment, output: work + "/replay-\(name).out", error: work + "/replay-\(name).err")
            let start = ContinuousClock.now
            let status = program.wait()
            let elapsed = ContinuousClock.now - start
            guard status == 0 else { throw BenchError("replay \(name) exited with \(status): \(contents(work + "/replay-\(name).err"))") }
            guard let peak = Int(contents(peakFile).split(separator: "\n").last ?? "") else {
                throw BenchError("/usr/bin/time wrote no peak RSS (GNU time, Debian package time, is needed): \(contents(peakFile))")
            }
            peaks.append(peak)
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            print("replay memory, \(name) flip (\(count) events, \(size >> 20) MiB of udevadm text, tree of 65,536 queues): "
                  + "peak RSS \(String(format: "%.1f", Double(peak) / 1024)) MiB in \(milliseconds(elapsed)) ms (target ≤ 30 MiB)")
        }
        print("replay memory, 8x against 1x: \(String(format: "%.2f", Double(peaks[1]) / Double(peaks[0])))× (target ≤ 1.25×)")
    }

    private static func create(_ path: String) throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw BenchError("\(path): cannot create") }
        return path
    }

    private static func write(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw BenchError("\(path): cannot write") }
    }
}

/// `aphotplug what-if` on the 65,536-queue tree (issue: what-if): the apmask
/// flip of one adapter, answered in under 2 s, process start and the reading
/// of the tree included.
enum WhatIfBenchmark {
    static func run(on host: FullScaleTestbed, binary: String, runs: Int) throws {
        let work = try makeWorkDirectory(host.testbed.root + "/what-if")
        var times: [Double] = []
        for _ in 0..<runs {
            let program = try SpawnedProgram(
                binary, ["what-if", "--sysfs-root", host.testbed.sysRoot, "--state-dir", work, "apmask -0x05"],
                environment: ProcessInfo.processInfo.environment, output: work + "/out", error: work + "/err")
            let start = ContinuousClock.now
            let status = program.wait()
            times.append(seconds(ContinuousClock.now - start))
            guard status == 0 || status == 1 else { throw BenchError("what-if exited with \(status): \(contents(work + "/err"))") }
        }
        let lines = contents(work + "/out").split(separator: "\n").count
        print("what-if 'apmask -0x05' on the 65,536-queue tree: median \(milliseconds(median(of: times))) ms over \(runs) runs "
              + "(\(lines) lines of answer; target < 2 s)")
    }
}
