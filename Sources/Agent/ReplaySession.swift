import APModel
import HotplugEngine
import Sysfs
import Trace

/// Replays recorded traces through the engine, exactly as the daemon feeds
/// it live: a starting snapshot, then every record in order.
///
/// Positions: the starting snapshot is position 0 and every record after it
/// takes the next position across all traces, so a decision caused by a
/// record without a SEQNUM (guest, observation) names that record.
public struct ReplaySession {
    public private(set) var engine = Engine()
    private var position: UInt64 = 0
    /// The receive time of the last timestamped record (udevadm text).
    private var lastMicroseconds: UInt64?

    /// A pause this long between two events of a udevadm capture ends an AP bus
    /// scan: a scan's events follow each other within milliseconds, and the
    /// kernel scans every `config_time` seconds (30 by default) or on a
    /// configuration change.
    public static let scanPause: UInt64 = 500_000

    public init() {}

    /// Starts from a host snapshot (`--sysfs-root`) and the guests known to
    /// hold mdevs (`--guest UUID=NAME`).
    public mutating func start(snapshot: HostSnapshot, guests: [MdevUUID: String]) -> [Decision] {
        engine.handle(.snapshot(snapshot, guests: guests, position: 0))
    }

    /// Replays one record received at `microseconds` (udevadm text): after a
    /// pause of ``scanPause`` or more, the held AP bus scan is ended first.
    public mutating func replay(_ record: TraceRecord, microseconds: UInt64?) throws(SnapshotError) -> [Decision] {
        var decisions: [Decision] = []
        if let microseconds {
            if let last = lastMicroseconds, microseconds >= last, microseconds - last >= Self.scanPause {
                decisions = settle()
            }
            lastMicroseconds = microseconds
        }
        return decisions + (try replay(record))
    }

    /// Replays one record and returns the decisions it caused.
    /// - Throws: ``SnapshotError`` when a snapshot record lacks a required attribute.
    public mutating func replay(_ record: TraceRecord) throws(SnapshotError) -> [Decision] {
        position += 1
        return engine.handle(try EngineEvent(record, position: position))
    }

    /// Ends the AP bus scan whose events are still held, if any: at the end of
    /// the input, after a pause in a capture, or where a simulated burst ended.
    /// Takes no position (no record caused it).
    public mutating func settle() -> [Decision] {
        engine.handle(.settled(position: position))
    }
}
