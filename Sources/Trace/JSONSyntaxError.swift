/// Why a text is not valid JSON: the byte offset of the problem, what would
/// have been valid there and what was there.
public struct JSONSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 0-based byte offset into the text.
    public var offset: Int
    /// What the grammar allows here, e.g. `',' or '}'`.
    public var expected: String
    /// What the text holds here: quoted text (`'x'`) or a phrase such as `end of input`.
    public var found: String

    public init(offset: Int, expected: String, found: String) {
        self.offset = offset
        self.expected = expected
        self.found = found
    }

    public var description: String { "byte \(offset): expected \(expected), found \(found)" }
}
