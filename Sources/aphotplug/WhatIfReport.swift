import APModel
import HotplugEngine

/// How `what-if` says what it predicts: for people (one line per change and
/// per guest) and for scripts (one JSON object).
enum WhatIfReport {
    static func text(_ run: WhatIfRun) -> [String] {
        var lines: [String] = run.notes.map { "note: " + $0 }
        for change in run.changes {
            lines.append(change.refusal.map { "refused: \(change.text): the kernel answers \($0)" } ?? "change: \(change.text)")
        }
        for guest in run.guests {
            let who = guest.guest.map { "guest \($0)" } ?? (guest.attached ? "an unnamed guest" : "no guest")
            var parts: [String] = []
            if !guest.losses.isEmpty { parts.append("loses " + guest.losses.sorted().map(\.description).joined(separator: ", ")) }
            if !guest.gains.isEmpty { parts.append("gains " + guest.gains.sorted().map(\.description).joined(separator: ", ")) }
            if parts.isEmpty { parts.append("unchanged") }
            parts.append("then holds \(guest.apqnsAfter) APQN(s)")
            switch (guest.blockerBefore, guest.blockerAfter) {
            case (true, true): parts.append("still cannot be live-migrated")
            case (false, true): parts.append("can no longer be live-migrated")
            case (true, false): parts.append("can be live-migrated again")
            case (false, false): break
            }
            lines.append("mdev \(guest.mdev) (\(who)): " + parts.joined(separator: "; "))
        }
        let losing = run.guests.filter { $0.attached && !$0.losses.isEmpty }
        lines.append(losing.isEmpty
            ? "no running guest loses an APQN (exit 0)"
            : "\(losing.count) running guest(s) would lose APQNs (exit 1)")
        return lines
    }

    static func summaryJSON(_ run: WhatIfRun) -> String {
        func list(_ apqns: Set<APQN>) -> String { "[" + apqns.sorted().map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        func string(_ text: String?) -> String { text.map(JSONString.quoted) ?? "null" }
        let changes = run.changes.map { "{\"change\":\(string($0.text)),\"refused\":\(string($0.refusal))}" }
        let guests = run.guests.map { guest in
            "{\"mdev\":\"\(guest.mdev)\",\"guest\":\(string(guest.guest)),\"attached\":\(guest.attached),"
                + "\"loses\":\(list(guest.losses)),\"gains\":\(list(guest.gains)),"
                + "\"blocker_before\":\(guest.blockerBefore),\"blocker_after\":\(guest.blockerAfter)}"
        }
        return "{\"what_if\":{\"changes\":[\(changes.joined(separator: ","))],\"guests\":[\(guests.joined(separator: ","))],"
            + "\"notes\":[\(run.notes.map(string).joined(separator: ","))],\"a_guest_loses\":\(run.aGuestLoses)}}"
    }
}
