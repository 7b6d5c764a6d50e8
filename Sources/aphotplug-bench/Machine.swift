import Foundation

/// The machine the figures come from: CPU model, cores and load average, printed
/// with every benchmark (load matters: a busy machine slows the IO-bound benchmarks).
enum Machine {
    static var cpuModel: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let line = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
        return line.flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
            ?? "unknown CPU"
    }

    /// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
    static var loadAverage: String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static var description: String {
        "\(cpuModel), \(ProcessInfo.processInfo.activeProcessorCount) cores, load average \(loadAverage)"
    }
}
