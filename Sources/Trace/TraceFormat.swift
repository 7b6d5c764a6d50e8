/// The two trace formats aphotplug reads.
public enum TraceFormat: Sendable {
    /// `udevadm monitor --property` text (``UdevadmMonitorReader``).
    case udevadmMonitor
    /// aphotplug's JSON Lines (``JSONLinesReader``, ``JSONLinesWriter``).
    case jsonLines

    /// Detects the format: JSON Lines when the first non-blank line starts
    /// with `{` (after spaces or tabs), udevadm text otherwise (including
    /// an empty file).
    public init(detecting bytes: [UInt8]) {
        self = TraceFormat(detectingPrefix: bytes) ?? .udevadmMonitor
    }

    /// The format the first non-blank byte of `bytes` tells, or nil when they
    /// are all blank (a stream's first bytes: read on).
    public init?(detectingPrefix bytes: [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "{"):
                self = .jsonLines
                return
            default:
                self = .udevadmMonitor
                return
            }
        }
        return nil
    }
}
