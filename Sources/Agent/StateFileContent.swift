import HotplugEngine

extension StateFile {
    /// What a state file holds, as ``StateFile/decode(_:)`` reads it back.
    public struct Content: Hashable, Sendable {
        /// When it was written: `YYYY-MM-DDTHH:MM:SSZ` as the daemon writes it, any string as read.
        public var updated: String
        /// The daemon's activity; nil in a file of `aphotplug handle`.
        public var counters: Counters?
        /// The engine's picture (``Engine/finalState``).
        public var state: FinalState

        public init(updated: String, counters: Counters?, state: FinalState) {
            self.updated = updated
            self.counters = counters
            self.state = state
        }
    }
}
