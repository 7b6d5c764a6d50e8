import APModel
import Agent
import ArgumentParser
import Foundation
import HotplugEngine
import Sysfs
import Trace

/// `aphotplug replay`: runs recorded traces through the engine and prints
/// the decisions, one JSON object per line.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded uevent traces and print the decisions as JSON lines.",
        discussion: """
            TRACE is `udevadm monitor --property` text (KERNEL[...] or UDEV [...] blocks, as captured with \
            `udevadm monitor -k -p -s ap -s matrix -s mdev`) or aphotplug's JSON Lines (`aphotplug record`); \
            the format is detected per file. `-` reads standard input. Several traces replay in order, as one.

            The starting state is the snapshot record of a JSON Lines trace, or the tree given with \
            --sysfs-root (a directory laid out like /sys), or an empty host. --mdevctl-dir adds the \
            mdevctl definitions found there, as the daemon in enforce mode reads them: the engine then \
            decides the assign and conflict decisions enforce mode would carry out (JSON Lines traces \
            recorded by an enforcing daemon hold their definition records already).

            Exit status: 0 replayed; 64 bad usage; 65 a trace is malformed (file:line: what was expected); \
            66 a trace or the sysfs root cannot be read.
            """
    )

    @Option(name: .long, help: ArgumentHelp("A directory that plays the role of /sys for the starting state.", valueName: "dir"))
    var sysfsRoot: String?

    @Option(name: .long, help: ArgumentHelp("A guest that already holds an mdev at the start (repeatable).", valueName: "uuid=name"))
    var guest: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "mdevctl's configuration directory whose matrix/<uuid> definitions apply from the start.", valueName: "dir"))
    var mdevctlDir: String?

    @Option(name: .long, help: ArgumentHelp(
        "chzdev's persistent AP bus mask rule (41-ap.rules) that applies from the start.", valueName: "file"))
    var apMaskRules: String?

    @Flag(name: .long, help: "After the decisions, print the final state of every mdev as one JSON object.")
    var finalState = false

    @Argument(help: ArgumentHelp("Trace files to replay, in order; - for standard input.", valueName: "trace"))
    var traces: [String]

    func validate() throws {
        _ = try guests()
        if traces.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
    }

    func guests() throws -> [MdevUUID: String] {
        var result: [MdevUUID: String] = [:]
        for entry in guest {
            let parts = entry.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let uuid = MdevUUID(parts[0]), !parts[1].isEmpty else {
                throw ValidationError("--guest expects UUID=NAME, got '\(entry)'")
            }
            result[uuid] = String(parts[1])
        }
        return result
    }

    func run() throws {
        var output = ResultOutput()
        var session = ReplaySession()
        if let sysfsRoot {
            let snapshot: HostSnapshot
            do {
                snapshot = try SnapshotReader(tree: DirectorySysfsTree(root: sysfsRoot)).read()
            } catch {
                throw CommandExit.failure(.noInput, "--sysfs-root \(sysfsRoot): \(error)")
            }
            try output.print(session.start(snapshot: snapshot, guests: try guests()))
        } else if !guest.isEmpty {
            try output.print(session.start(snapshot: HostSnapshot(), guests: try guests()))
        }
        if let apMaskRules {
            try output.print(try session.replay(.apMaskRules(APMaskRulesFile(path: apMaskRules).read())))
        }
        if let mdevctlDir {
            for (uuid, config) in MdevctlDirectory(path: mdevctlDir).read().sorted(by: { $0.key < $1.key }) {
                try output.print(try session.replay(.definition(mdev: uuid, config: config)))
            }
        }
        for path in traces {
            try TraceInput(path: path).replay(into: &session, output: &output)
        }
        try output.print(session.settle())
        if finalState { try output.write(session.engine.finalStateJSON + "\n") }
        try output.flush()
    }
}

extension ResultOutput {
    /// Decisions as JSON lines.
    mutating func print(_ decisions: [Decision]) throws {
        for decision in decisions { try write(decision.jsonLine + "\n") }
    }
}
