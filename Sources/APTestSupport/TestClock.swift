/// A clock for tests of machines that take the time as input
/// (``DaemonMachine``): it moves only when the test says so.
public struct TestClock: Sendable {
    /// A point on the test clock: the time since it started.
    public struct Instant: InstantProtocol, Sendable, CustomStringConvertible {
        public var sinceStart: Duration

        public init(sinceStart: Duration) { self.sinceStart = sinceStart }

        public func advanced(by duration: Duration) -> Instant { Instant(sinceStart: sinceStart + duration) }
        public func duration(to other: Instant) -> Duration { other.sinceStart - sinceStart }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.sinceStart < rhs.sinceStart }
        public var description: String { "t+\(sinceStart)" }
    }

    /// Now, on this clock.
    public private(set) var now = Instant(sinceStart: .zero)

    public init() {}

    /// Moves the clock on by `duration` and returns the new time.
    @discardableResult
    public mutating func advance(by duration: Duration) -> Instant {
        now = now.advanced(by: duration)
        return now
    }
}
