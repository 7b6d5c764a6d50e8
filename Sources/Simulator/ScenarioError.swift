/// A scenario script that cannot be read or did not run as written.
public struct ScenarioError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 1-based line the problem is on.
    public var line: Int
    /// The line's text (without comment).
    public var text: String
    /// What was expected, or what went wrong.
    public var message: String

    public init(line: Int, text: String, message: String) {
        self.line = line
        self.text = text
        self.message = message
    }

    public var description: String { "line \(line): \(message)\n    \(text)" }
}
