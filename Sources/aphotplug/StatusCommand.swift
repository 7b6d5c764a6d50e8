import Agent
import ArgumentParser
import Foundation

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
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandExit.failure(.noInput, "\(path): no state file; is aphotplug daemon running with --state-dir \(stateDir)?")
        }
        if json {
            try ResultOutput.writeNow(String(decoding: data, as: UTF8.self))
            return
        }
        guard let file = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let state = file["state"] as? [String: Any], let mdevs = state["mdevs"] as? [String: Any] else {
            throw CommandExit.failure(.dataError, "\(path): not a state file")
        }
        try ResultOutput.writeNow(StatusTable.render(mdevs: mdevs, updated: file["updated"] as? String) + "\n")
    }
}

/// The text of `aphotplug status`.
enum StatusTable {
    struct Row {
        var mdev: String
        var guest: String
        var assigned: [String]
        var inGuest: [String]
        var withheld: [String]
        var blocker: Bool
    }

    static func row(uuid: String, _ entry: [String: Any]) -> Row {
        func matrix(_ key: String) -> (adapters: [String], domains: [String]) {
            let object = entry[key] as? [String: Any] ?? [:]
            return (object["adapters"] as? [String] ?? [], object["domains"] as? [String] ?? [])
        }
        func apqns(_ m: (adapters: [String], domains: [String])) -> [String] {
            m.adapters.flatMap { adapter in m.domains.map { adapter + "." + $0 } }
        }
        let assigned = matrix("assigned"), shadow = matrix("shadow")
        let withheld = assigned.adapters.filter { !shadow.adapters.contains($0) }
        // Everything in the file is printed escaped: a guest name is anyone's to choose.
        return Row(
            mdev: TerminalText.escaped(uuid), guest: (entry["guest"] as? String).map(TerminalText.escaped) ?? "-",
            assigned: apqns(assigned).map(TerminalText.escaped), inGuest: apqns(shadow).map(TerminalText.escaped),
            withheld: withheld.map(TerminalText.escaped), blocker: entry["blocker"] as? Bool ?? false)
    }

    static func render(mdevs: [String: Any], updated: String?) -> String {
        let rows = mdevs.keys.sorted().map { row(uuid: $0, mdevs[$0] as? [String: Any] ?? [:]) }
        var lines: [String] = []
        if let updated { lines.append("state of \(TerminalText.escaped(updated))") }
        guard !rows.isEmpty else { return (lines + ["no vfio_ap mdevs"]).joined(separator: "\n") }
        let header = ["MDEV", "GUEST", "ASSIGNED", "IN GUEST", "NOT IN GUEST", "BLOCKER"]
        let cells = rows.map { row in
            [row.mdev, row.guest, "\(row.assigned.count)", "\(row.inGuest.count)",
             row.withheld.isEmpty ? "-" : row.withheld.joined(separator: ","), row.blocker ? "yes" : "no"]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        lines.append(format(header))
        lines += cells.map(format)
        for row in rows {
            lines.append("")
            lines.append("\(row.mdev): assigned \(list(row.assigned)); in guest \(list(row.inGuest))")
            if !row.withheld.isEmpty {
                lines.append("  adapters \(row.withheld.joined(separator: ",")) assigned but not in the guest: outside the host AP configuration, or not every queue over the domains is bound to vfio_ap")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// At most 8 APQNs, then a count of the rest.
    static func list(_ apqns: [String]) -> String {
        guard !apqns.isEmpty else { return "none" }
        let shown = apqns.prefix(8).joined(separator: " ")
        return apqns.count > 8 ? shown + " … (\(apqns.count) in all)" : shown
    }
}
