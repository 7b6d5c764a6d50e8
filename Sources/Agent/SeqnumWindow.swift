/// The SEQNUMs of the most recently handled uevents, so that one event that
/// arrives twice is handled once: from the daemon's monitor and from
/// `aphotplug handle`, or twice from udev (a RUN program of an event that
/// udevd retried, `udevadm trigger` racing a real event).
///
/// Bounded: it remembers the last ``capacity`` SEQNUMs. Kernel SEQNUMs only
/// grow, so a duplicate arrives close to its original; a SEQNUM older than
/// the window is taken as new (the cost is one event handled twice, which
/// the engine treats as the benign coldplug race).
public struct SeqnumWindow: Hashable, Sendable {
    /// How many SEQNUMs are remembered.
    public static let capacity = 1_024

    /// Remembered SEQNUMs, oldest first.
    public private(set) var seqnums: [UInt64] = []

    public init() {}

    /// A window holding the last ``capacity`` of `seqnums` (oldest first), as persisted.
    public init(seqnums: [UInt64]) { self.seqnums = Array(seqnums.suffix(Self.capacity)) }

    public func contains(_ seqnum: UInt64) -> Bool { seqnums.contains(seqnum) }

    /// Remembers `seqnum`; returns false when it was remembered already.
    public mutating func insert(_ seqnum: UInt64) -> Bool {
        guard !contains(seqnum) else { return false }
        if seqnums.count == Self.capacity { seqnums.removeFirst() }
        seqnums.append(seqnum)
        return true
    }
}
