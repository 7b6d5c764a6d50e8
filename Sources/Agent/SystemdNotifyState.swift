/// One `KEY=VALUE` line of an sd_notify message (`sd_notify(3)`).
public enum SystemdNotifyState: Hashable, Sendable {
    /// `READY=1`: start-up finished (for aphotplug: monitor armed, coldplug done, backlog drained).
    case ready
    /// `RELOADING=1`: re-reading configuration; send ``ready`` when done.
    case reloading
    /// `STOPPING=1`: shutting down.
    case stopping
    /// `WATCHDOG=1`: keep-alive ping; send at least every half ``SystemdWatchdog`` timeout.
    case watchdog
    /// `STATUS=…`: one line of free text shown by `systemctl status` (newlines become spaces).
    case status(String)
    /// `MAINPID=…`: the service's main process, when it is not the sender.
    case mainPID(Int32)

    /// The line as it goes on the wire, without the separating newline.
    public var line: String {
        switch self {
        case .ready: return "READY=1"
        case .reloading: return "RELOADING=1"
        case .stopping: return "STOPPING=1"
        case .watchdog: return "WATCHDOG=1"
        case .status(let text):
            let oneLine = String(text.map { $0.isNewline ? " " : $0 })
            return "STATUS=" + oneLine
        case .mainPID(let pid): return "MAINPID=\(pid)"
        }
    }
}
