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
        var output = DecisionPrinter()
        var session = ReplaySession()
        if let sysfsRoot {
            do {
                let snapshot = try SnapshotReader(tree: DirectorySysfsTree(root: sysfsRoot)).read()
                output.print(session.start(snapshot: snapshot, guests: try guests()))
            } catch {
                throw CommandExit.failure(.noInput, "--sysfs-root \(sysfsRoot): \(error)")
            }
        } else if !guest.isEmpty {
            output.print(session.start(snapshot: HostSnapshot(), guests: try guests()))
        }
        if let mdevctlDir {
            for (uuid, config) in MdevctlDirectory(path: mdevctlDir).read().sorted(by: { $0.key < $1.key }) {
                output.print(try session.replay(.definition(mdev: uuid, config: config)))
            }
        }
        for path in traces {
            let bytes = try TraceFile.read(path)
            let entries: [TraceEntry]
            do {
                entries = try TraceReader.read(bytes, fileName: path == "-" ? "<stdin>" : path)
            } catch {
                output.flush()
                throw CommandExit.failure(.dataError, error.description)
            }
            for entry in entries {
                do {
                    output.print(try session.replay(entry.record, microseconds: entry.microseconds))
                } catch {
                    output.flush()
                    throw CommandExit.failure(.dataError, "\(path):\(entry.line): snapshot record: \(error)")
                }
            }
        }
        output.print(session.settle())
        if finalState { output.write(session.engine.finalStateJSON + "\n") }
        output.flush()
    }
}

/// Reading trace files and standard input, with sysexits-style failures.
enum TraceFile {
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandExit.failure(.noInput, "\(path): cannot read the trace (missing or unreadable)")
        }
        return Array(data)
    }
}

/// Buffers decision lines and writes them to standard output in large chunks.
struct DecisionPrinter {
    private var buffer = ""

    mutating func print(_ decisions: [Decision]) {
        for decision in decisions { write(decision.jsonLine + "\n") }
    }

    mutating func write(_ text: String) {
        buffer += text
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}
