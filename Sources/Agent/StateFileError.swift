/// Why bytes are not a state file: where the problem is, what would have been
/// valid there and what was there.
public struct StateFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `byte 17` for JSON syntax, or the member's path, e.g. `state.mdevs.<uuid>.blocker`.
    public var place: String
    /// What the format allows here, e.g. `true or false`.
    public var expected: String
    /// What the file holds here.
    public var found: String

    public init(place: String, expected: String, found: String) {
        self.place = place
        self.expected = expected
        self.found = found
    }

    public var description: String { "\(place): expected \(expected), found \(found)" }
}
