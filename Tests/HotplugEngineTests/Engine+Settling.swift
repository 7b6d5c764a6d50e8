import HotplugEngine

extension Engine {
    /// Feeds `event`, then ends the AP bus scan it may have opened, as the
    /// daemon does once a burst has settled and its read-backs are in.
    mutating func settling(_ event: EngineEvent) -> [Decision] {
        handle(event) + handle(.settled(position: 0))
    }
}
