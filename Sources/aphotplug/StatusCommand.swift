import Agent
import ArgumentParser
import Foundation
import HotplugEngine

/// `aphotplug status`: the running daemon's current model, from its state file.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every mdev's guest, assigned and passed-through APQNs, withheld adapters and blocker.",
        discussion: """
            Reads <state-dir>/state.json, which aphotplug daemon replaces after every burst of events \
            (aphotplug handle after every event). \
            Exit status: 0 shown; 66 no readable state file (is the daemon running?); 65 the file is malformed.
            """
    )

    @Option(help: ArgumentHelp("The daemon's state directory.", valueName: "dir"))
    var stateDir = "/run/aphotplug"

    @Flag(help: "Print the state file's JSON as it is.")
    var json = false

    func run() throws {
        let path = StateFile.path(in: stateDir)
        let data: [UInt8]
        switch StateFile.readBytes(in: stateDir) {
        case .success(let bytes): data = bytes
        case .failure(.missing):
            throw CommandExit.failure(.noInput, "\(path): no state file; is aphotplug daemon running with --state-dir \(stateDir)?")
        case .failure(let problem):
            throw CommandExit.failure(.noInput, "\(path): \(problem)")
        }
        if json {
            try ResultOutput.writeNow(String(decoding: data, as: UTF8.self))
            return
        }
        let content: StateFile.Content
        do throws(StateFileError) {
            content = try StateFile.decode(data)
        } catch {
            throw CommandExit.failure(.dataError, "\(path): not a state file: \(TerminalText.escaped(error.description))")
        }
        let lines = ["state of \(TerminalText.escaped(content.updated))"] + StateTable.lines(content.state.mdevs)
        try ResultOutput.writeNow(lines.joined(separator: "\n") + "\n")
    }
}
