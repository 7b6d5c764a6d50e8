import APModel

/// Finds uevents that were lost before they reached the daemon's monitor, from
/// the SEQNUMs of one burst.
///
/// ENOBUFS reports what our own socket dropped; events that udevd lost (its own
/// receive buffer overflowed) leave no trace but a hole in the SEQNUMs. The
/// kernel numbers every uevent of every subsystem, so holes between bursts are
/// normal. Within a burst of the AP bus (a scan, an apmask/aqmask change: one
/// unbind and bind per queue, emitted back to back) a hole that no event of
/// ap, matrix or mdev fills by the time the burst has settled most likely was
/// ours. udev may deliver events of different devices out of order, so holes
/// are judged only when the burst has settled.
///
/// A hole can also be another subsystem's event that happened in the middle of
/// the burst; the price of that false alarm is one rescan.
public struct SeqnumGapDetector: Sendable {
    /// SEQNUMs of AP bus (`SUBSYSTEM=ap`) events since the last settle.
    private var apBus: Set<UInt64> = []
    /// SEQNUMs of every event of ours since the last settle (they fill holes).
    private var seen: Set<UInt64> = []

    public init() {}

    /// A hole in one burst: `count` SEQNUMs between `after` and `before` never arrived.
    public struct Gap: Hashable, Sendable, CustomStringConvertible {
        public var after: UInt64
        public var before: UInt64
        public var count: UInt64

        public init(after: UInt64, before: UInt64, count: UInt64) {
            self.after = after
            self.before = before
            self.count = count
        }

        public var description: String {
            "SEQNUM gap: \(count) event(s) between \(after) and \(before) never arrived"
        }
    }

    /// Notes a received uevent; events without a SEQNUM are not judged.
    public mutating func record(_ uevent: Uevent) {
        guard let text = uevent["SEQNUM"], let seqnum = UInt64(text) else { return }
        seen.insert(seqnum)
        if uevent["SUBSYSTEM"] == "ap" { apBus.insert(seqnum) }
    }

    /// Ends the burst: the holes among its AP bus events (nil when there are
    /// none), summed up from the first to the last, and forgets it.
    public mutating func settle() -> Gap? {
        defer {
            apBus = []
            seen = []
        }
        let sorted = apBus.sorted()
        guard let first = sorted.first, let last = sorted.last, last - first > UInt64(sorted.count - 1) else { return nil }
        // The span holds `last - first + 1` SEQNUMs, which is 2^64 for 0 … 2^64-1:
        // subtract the arrived ones from `last - first` and count `first` itself out.
        let arrived = UInt64(seen.filter { $0 >= first && $0 <= last }.count)
        let missing = (last - first) - (arrived - 1)
        return missing == 0 ? nil : Gap(after: first, before: last, count: missing)
    }
}
