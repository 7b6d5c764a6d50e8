internal import Glibc
import Posix
import HotplugEngine

/// Where `aphotplug daemon` reports decisions (`--log-target`).
public enum DecisionLogTarget: String, Sendable, CaseIterable {
    /// One JSON object per line on standard output (design.md's format).
    case json
    /// One readable line per decision on standard output.
    case text
}

/// Writes decisions to standard output with `write(2)`, whole lines at once, so a
/// reader on a pipe sees each burst as soon as it is decided.
public struct DecisionReporter: Sendable {
    public let target: DecisionLogTarget

    public init(target: DecisionLogTarget) { self.target = target }

    /// Reports `decisions`, one line each, in one write per call.
    public func report(_ decisions: [Decision]) {
        guard !decisions.isEmpty else { return }
        var text = ""
        for decision in decisions {
            switch target {
            case .json: text += decision.jsonLine
            case .text: text += Self.textLine(decision)
            }
            text += "\n"
        }
        StandardStream.write(text, to: STDOUT_FILENO)
    }

    /// `seq=10422 unplug-adapter mdev=0b5e… guest=vm1 apqns=05.0004,05.00ab: queue 05.0004 unbound from vfio_ap`
    public static func textLine(_ decision: Decision) -> String {
        var line = "seq=\(decision.seq) \(decision.kind.rawValue)"
        if let mdev = decision.mdev { line += " mdev=\(mdev)" }
        if let guest = decision.guest { line += " guest=\(guest)" }
        if !decision.adapters.isEmpty { line += " adapters=" + decision.adapters.map { "\($0)" }.joined(separator: ",") }
        if !decision.domains.isEmpty { line += " domains=" + decision.domains.map { "\($0)" }.joined(separator: ",") }
        if !decision.apqns.isEmpty { line += " apqns=" + decision.apqns.map { "\($0)" }.joined(separator: ",") }
        if !decision.cause.isEmpty { line += ": " + decision.cause }
        return line
    }
}

/// Unbuffered, retrying writes of whole texts to a file descriptor.
public enum StandardStream {
    /// Writes the whole text; a reader that is gone (EPIPE) or a full disk ends
    /// the write silently: for reports, which have nowhere else to go.
    public static func write(_ text: String, to descriptor: Int32) {
        _ = writeAll(text, to: descriptor)
    }

    /// Writes the whole text and returns nil, or the errno of the write that
    /// failed (EPIPE, ENOSPC, EIO…): for output that is a command's result.
    public static func writeAll(_ text: String, to descriptor: Int32) -> Int32? {
        do {
            try Posix.writeAll(descriptor, text)
            return nil
        } catch {
            return error.rawValue
        }
    }

    /// A line on standard error, prefixed with `aphotplug: `.
    public static func log(_ message: String) {
        write("aphotplug: " + message + "\n", to: STDERR_FILENO)
    }
}
