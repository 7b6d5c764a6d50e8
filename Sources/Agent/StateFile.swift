internal import Glibc
import APModel
import Foundation
import HotplugEngine

/// `<state-dir>/state.json`: the engine's current model, replaced atomically
/// (``AtomicFile``), so a reader (`aphotplug status`) sees either the old or the
/// new state, never half of one.
///
/// Content: `{"updated":"2026-11-22T04:00:00Z","uevents":131073,"rescans":0,"state":<FinalState.json>}`:
/// when it was written, how many uevents the daemon has fed to its engine and how many
/// times it rescanned after lost events since it started, and the model. `aphotplug
/// handle` (one event per process) writes no counters. ``decode(_:)`` reads it back
/// into a ``Content``.
public enum StateFile {
    public static let name = "state.json"

    /// The daemon's activity since it started.
    public struct Counters: Hashable, Sendable {
        /// Uevents received and fed to the engine.
        public var uevents: Int
        /// Rescans after lost events (not counting the coldplug scan).
        public var rescans: Int

        public init(uevents: Int, rescans: Int) {
            self.uevents = uevents
            self.rescans = rescans
        }
    }

    /// The path of the state file in `stateDirectory`.
    public static func path(in stateDirectory: String) -> String { stateDirectory + "/" + name }

    /// Creates `stateDirectory` (mode 0755) when missing and checks it
    /// (``StateDirectory/prepare(_:)``); parents must exist.
    public static func prepareDirectory(_ stateDirectory: String) -> StateDirectory.Problem? {
        StateDirectory.prepare(stateDirectory)
    }

    /// Writes `stateJSON` with the current UTC time and `counters` (if any); returns the errno on failure.
    @discardableResult
    public static func write(_ stateJSON: String, counters: Counters?, in stateDirectory: String) -> Int32? {
        let activity = counters.map { "\"uevents\":\($0.uevents),\"rescans\":\($0.rescans)," } ?? ""
        let content = "{\"updated\":\"\(utcTimestamp())\",\(activity)\"state\":\(stateJSON)}\n"
        return AtomicFile.replace(path(in: stateDirectory), with: Array(content.utf8), mode: 0o644)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    static func utcTimestamp() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// The guest names a state file holds, by mdev (absent, unreadable or not a
    /// state file (``decode(_:)``): none): a restarted daemon takes them back,
    /// `what-if` names guests with them.
    public static func guestNames(in stateDirectory: String) -> [MdevUUID: String] {
        guard case .success(let bytes) = readBytes(in: stateDirectory), let content = try? decode(bytes) else { return [:] }
        var names: [MdevUUID: String] = [:]
        for mdev in content.state.mdevs {
            if let name = mdev.guest { names[mdev.uuid] = name }
        }
        return names
    }
}
