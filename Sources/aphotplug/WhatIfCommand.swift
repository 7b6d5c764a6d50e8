import APModel
import Agent
import ArgumentParser
import Foundation
import HotplugEngine
import Simulator
import Sysfs

/// `aphotplug what-if`: what a change would do to the running guests, before it is made.
struct WhatIfCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "what-if",
        abstract: "Predict what a change to the host would do to every guest, without making it.",
        discussion: """
            Reproduces the host (--sysfs-root, /sys by default) in aphotplug's simulated s390 kernel, applies \
            CHANGE (one per argument, or the lines of -f FILE, in `aphotplug simulate` script syntax: \
            `apmask -0x05`, `aqmask +0x10`, `unbind 05.0004`, `bind 05.0004 vfio_ap`, `config card05 0`, \
            `mdev UUID assign-adapter 0x07`, `host adapters -5`, `host domains +0x10`, `tapq 05.0004 fail`, …), \
            and feeds what the kernel would emit to the engine, as the daemon would. Prints per guest what \
            it would gain and lose, every change the kernel would refuse (errno and meaning), and migration \
            blockers raised or cleared. Writes nothing anywhere. Guests are the mdevs that are in use, named \
            with --guest, or named by a running daemon's state (--state-dir).

            Exit status: 0 no attached guest loses an APQN; 1 one would; 64 bad usage; 65 a change cannot \
            be read or carried out as written (file:line); 66 the sysfs root cannot be read. So a script can \
            gate a change: aphotplug what-if 'apmask -0x05' && chzdev -t ap apmask=-0x05
            """
    )

    @Option(help: ArgumentHelp("The sysfs tree of the host.", valueName: "dir"))
    var sysfsRoot = "/sys"

    @Option(help: ArgumentHelp("A guest that holds an mdev (repeatable).", valueName: "uuid=name"))
    var guest: [String] = []

    @Option(help: ArgumentHelp("A running daemon's state directory, for the names of its guests.", valueName: "dir"))
    var stateDir = "/run/aphotplug"

    @Option(name: .customShort("f"), help: ArgumentHelp("Read the changes from a file, one per line.", valueName: "file"))
    var file: String?

    @Flag(help: "Print the decisions as JSON lines, then one summary object.")
    var json = false

    @Argument(help: ArgumentHelp("The changes, in order.", valueName: "change"))
    var changes: [String] = []

    func validate() throws {
        if changes.isEmpty && file == nil { throw ValidationError("give at least one CHANGE or -f FILE") }
        _ = try names()
    }

    func names() throws -> [MdevUUID: String] {
        var result = StateFile.guestNames(in: stateDir)
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
        var lines = changes
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw CommandExit.failure(.noInput, "\(file): cannot read the changes")
            }
            lines += String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        let source = file.map { "\($0) and the arguments" } ?? "the changes"
        let scenario: Scenario
        do {
            scenario = try Scenario(parsing: (["boot", "start"] + lines).joined(separator: "\n"))
        } catch {
            throw CommandExit.failure(.dataError, "change \(error.line - 2): \(error.message)\n    \(error.text)")
        }
        let snapshot: HostSnapshot
        do {
            snapshot = try SnapshotReader(tree: DirectorySysfsTree(root: sysfsRoot)).read()
        } catch {
            throw CommandExit.failure(.noInput, "--sysfs-root \(sysfsRoot): \(error)")
        }
        let run: WhatIfRun
        do {
            run = try WhatIfRun.predict(snapshot: snapshot, guests: try names(), steps: Array(scenario.steps.dropFirst(scenario.setupCount)))
        } catch let error as WhatIfError {
            throw CommandExit.failure(.dataError, "\(source): change \(error.line - 2) ('\(error.text)'): \(error.reason)")
        }
        var output = ResultOutput()
        if json {
            try output.print(run.decisions)
            try output.line(WhatIfReport.summaryJSON(run))
        } else {
            for line in WhatIfReport.text(run) { try output.line(line) }
        }
        try output.flush()
        if run.aGuestLoses { throw ExitCode(1) }
    }
}
