import APModel
import Foundation
import HotplugEngine

/// The mdev table of `aphotplug status` and `aphotplug demo`, from the engine's
/// picture (``FinalState``): one row per mdev, then per mdev its APQNs and what
/// it keeps out of its guest. Everything is printed escaped (``TerminalText``):
/// a guest name is anyone's to choose.
enum StateTable {
    struct Row {
        var mdev: String
        var guest: String
        var assigned: [String]
        var inGuest: [String]
        /// Assigned adapters not in the shadow.
        var withheldAdapters: [String]
        /// Assigned domains not in the shadow.
        var withheldDomains: [String]
        var blocker: Bool

        init(_ mdev: FinalState.Mdev) {
            self.mdev = TerminalText.escaped(mdev.uuid.description)
            self.guest = mdev.guest.map(TerminalText.escaped) ?? "-"
            self.assigned = mdev.assigned.apqns.map(\.description)
            self.inGuest = mdev.shadow.apqns.map(\.description)
            self.withheldAdapters = mdev.assigned.adapters.subtracting(mdev.shadow.adapters).adapterIDs.map(\.description)
            self.withheldDomains = mdev.assigned.domains.subtracting(mdev.shadow.domains).domainIDs.map(\.description)
            self.blocker = mdev.blocksMigration
        }

        /// `adapters 05,06; domains 0007`, or `-`.
        var withheld: String {
            var parts: [String] = []
            if !withheldAdapters.isEmpty { parts.append("adapters " + withheldAdapters.joined(separator: ",")) }
            if !withheldDomains.isEmpty { parts.append("domains " + withheldDomains.joined(separator: ",")) }
            return parts.isEmpty ? "-" : parts.joined(separator: "; ")
        }
    }

    /// The table's lines for `mdevs`, in UUID order; `header` styles the column heading (the demo underlines it).
    static func lines(_ mdevs: [FinalState.Mdev], header styled: (String) -> String = { $0 }) -> [String] {
        let rows = mdevs.sorted { $0.uuid < $1.uuid }.map(Row.init)
        guard !rows.isEmpty else { return ["no vfio_ap mdevs"] }
        let header = ["MDEV", "GUEST", "ASSIGNED", "IN GUEST", "NOT IN GUEST", "BLOCKER"]
        let cells = rows.map { row in
            [row.mdev, row.guest, "\(row.assigned.count)", "\(row.inGuest.count)", row.withheld, row.blocker ? "yes" : "no"]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        var lines = [styled(format(header))] + cells.map(format)
        for row in rows {
            lines.append("")
            lines.append("\(row.mdev): assigned \(list(row.assigned)); in guest \(list(row.inGuest))")
            if !row.withheldAdapters.isEmpty {
                lines.append("  adapters \(row.withheldAdapters.joined(separator: ",")) assigned but not in the guest: outside the host AP configuration, or not every queue over the domains is bound to vfio_ap")
            }
            if !row.withheldDomains.isEmpty {
                lines.append("  domains \(row.withheldDomains.joined(separator: ",")) assigned but not in the guest: outside the host AP configuration")
            }
        }
        return lines
    }

    /// At most 8 APQNs, then a count of the rest.
    static func list(_ apqns: [String]) -> String {
        guard !apqns.isEmpty else { return "none" }
        let shown = apqns.prefix(8).joined(separator: " ")
        return apqns.count > 8 ? shown + " … (\(apqns.count) in all)" : shown
    }
}
