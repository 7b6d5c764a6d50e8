import APModel
import Posix
import HotplugEngine

/// Reports decisions to systemd-journald over its native protocol: one datagram of
/// `KEY=VALUE` lines per decision to `/run/systemd/journal/socket` (`sd_journal_send(3)`
/// without libsystemd).
///
/// Fields: `MESSAGE` (the text line), `MESSAGE_ID` (one per decision kind, see
/// ``messageID(_:)``), `PRIORITY`, `SYSLOG_IDENTIFIER=aphotplug`, and `APHOTPLUG_KIND`,
/// `APHOTPLUG_SEQ`, `APHOTPLUG_MDEV`, `APHOTPLUG_GUEST`, `APHOTPLUG_ADAPTERS`,
/// `APHOTPLUG_DOMAINS`, `APHOTPLUG_APQNS` (space-separated) and `APHOTPLUG_CAUSE`.
/// Fields without a value are left out; newlines in values become spaces. A list longer
/// than ``listLimit`` entries is cut, and `APHOTPLUG_APQNS_COUNT` gives the full count.
public struct JournalReporter: Sendable {
    public static let defaultSocket = "/run/systemd/journal/socket"
    /// The most list entries per field, which keeps a datagram well under the socket's limit.
    public static let listLimit = 4_096

    public let socketPath: String

    public init(socketPath: String = Self.defaultSocket) { self.socketPath = socketPath }

    /// The `MESSAGE_ID` of each decision kind (random 128-bit ids, fixed forever).
    public static func messageID(_ kind: Decision.Kind) -> String {
        switch kind {
        case .plug: "5a62914aaa1d4f7ba2570ddc0619fd1f"
        case .unplugAdapter: "e4a0543629b54c76b6e911445ea3e662"
        case .unplugDomain: "28937e905c25416cbd6c4bd8f620f2c5"
        case .withhold: "fec9ced27b504c39b635c42022be80cc"
        case .assign: "35a4d250688542a09cfd9b316303278c"
        case .conflict: "7d19ba758e70458897d44c45b7d88683"
        case .blockerRaised: "61fa5ad200744e988499b6069cc061e5"
        case .blockerUpdated: "6255752cd63540778d7a82e661c73727"
        case .blockerCleared: "3166265f1d0d464badc81ac01a7c7254"
        case .divergence: "e1e3e2d791db4fcf8f096baff98a5408"
        case .resync: "b291c18dc0384f83a3769d1786d2628d"
        case .anomaly: "d7a7d1823b7b4926a88792bc976cbc10"
        }
    }

    /// syslog priority: 4 (warning) for what needs a look, 5 (notice) for changes, 6 (info) else.
    public static func priority(_ kind: Decision.Kind) -> Int {
        switch kind {
        case .divergence, .anomaly, .conflict, .resync: 4
        case .plug, .unplugAdapter, .unplugDomain, .withhold, .blockerRaised, .blockerCleared: 5
        case .assign, .blockerUpdated: 6
        }
    }

    /// The datagram for `decision`.
    public static func fields(_ decision: Decision) -> String {
        var fields: [(String, String)] = [
            ("MESSAGE", DecisionReporter.textLine(decision)),
            ("MESSAGE_ID", messageID(decision.kind)),
            ("PRIORITY", String(priority(decision.kind))),
            ("SYSLOG_IDENTIFIER", "aphotplug"),
            ("APHOTPLUG_KIND", decision.kind.rawValue),
            ("APHOTPLUG_SEQ", String(decision.seq)),
        ]
        if let mdev = decision.mdev { fields.append(("APHOTPLUG_MDEV", mdev.description)) }
        if let guest = decision.guest { fields.append(("APHOTPLUG_GUEST", guest)) }
        func list(_ key: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            fields.append((key, items.prefix(listLimit).joined(separator: " ")))
            if items.count > listLimit { fields.append((key + "_COUNT", String(items.count))) }
        }
        list("APHOTPLUG_ADAPTERS", decision.adapters.map(\.description))
        list("APHOTPLUG_DOMAINS", decision.domains.map(\.description))
        list("APHOTPLUG_APQNS", decision.apqns.map(\.description))
        if !decision.cause.isEmpty { fields.append(("APHOTPLUG_CAUSE", decision.cause)) }
        return fields.map { $0.0 + "=" + String($0.1.map { $0.isNewline ? " " : $0 }) + "\n" }.joined()
    }

    /// Sends each decision; returns the errno of the first failure (nothing more is sent then).
    @discardableResult
    public func report(_ decisions: [Decision]) -> Int32? {
        guard !decisions.isEmpty else { return nil }
        let socket: UnixDatagramSocket
        do {
            socket = try UnixDatagramSocket()
        } catch {
            return error.rawValue
        }
        defer { socket.close() }
        for decision in decisions {
            do {
                try socket.send(Array(Self.fields(decision).utf8), to: .path(socketPath))
            } catch {
                return error.rawValue
            }
        }
        return nil
    }
}
