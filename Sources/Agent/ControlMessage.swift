import APModel
import Trace

/// One datagram on the daemon's control socket (``ControlSocket``): a JSON
/// Lines trace record, the same text `aphotplug record` writes.
///
/// - `{"type":"guest","action":"attach","mdev":"<uuid>","name":"vm1"}` from
///   `aphotplug guest` and `aphotplug hook libvirt`;
/// - `{"type":"uevent","env":{"ACTION":"bind",...}}` from `aphotplug handle`,
///   which forwards the uevent udev gave it; the daemon feeds it like a
///   monitor event (deduplicated by SEQNUM, so an event heard both ways
///   counts once).
public enum ControlMessage: Equatable, Sendable {
    case guest(GuestRecord)
    case uevent(Uevent)

    /// Parses a datagram; nil when it is not exactly one guest or uevent record.
    public init?(parsing text: String) {
        guard let entries = try? TraceReader.read(Array(text.utf8), fileName: ControlSocket.name), entries.count == 1 else {
            return nil
        }
        switch entries[0].record {
        case .guest(let record): self = .guest(record)
        case .uevent(let uevent): self = .uevent(uevent)
        case .snapshot, .observe, .definition, .apMaskRules, .settled: return nil
        }
    }

    /// The datagram's text.
    public var text: String {
        switch self {
        case .guest(let record): return JSONLinesWriter.line(.guest(record))
        case .uevent(let uevent): return JSONLinesWriter.line(.uevent(uevent))
        }
    }
}
