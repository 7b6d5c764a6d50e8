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
    public var seqnums: [UInt64] { Array(ring[next...] + ring[..<next]) }

    /// The SEQNUMs in a ring: once full, `next` is the oldest, overwritten by the next insert.
    private var ring: [UInt64] = []
    private var next = 0
    /// The same SEQNUMs, for a constant-time lookup: every uevent the daemon hears is checked.
    private var members: Set<UInt64> = []

    public init() {}

    /// A window holding the last ``capacity`` of `seqnums` (oldest first), as persisted.
    public init(seqnums: [UInt64]) {
        for seqnum in seqnums.suffix(Self.capacity) { _ = insert(seqnum) }
    }

    public func contains(_ seqnum: UInt64) -> Bool { members.contains(seqnum) }

    /// Remembers `seqnum`; returns false when it was remembered already.
    public mutating func insert(_ seqnum: UInt64) -> Bool {
        guard members.insert(seqnum).inserted else { return false }
        if ring.count < Self.capacity {
            ring.append(seqnum)
        } else {
            members.remove(ring[next])
            ring[next] = seqnum
            next = (next + 1) % Self.capacity
        }
        return true
    }

    public static func == (lhs: SeqnumWindow, rhs: SeqnumWindow) -> Bool { lhs.seqnums == rhs.seqnums }

    public func hash(into hasher: inout Hasher) { hasher.combine(seqnums) }
}
