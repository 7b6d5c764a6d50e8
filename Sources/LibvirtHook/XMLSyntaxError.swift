/// Why a document is not well-formed XML, and where the reader noticed it.
public struct XMLSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line of the offending byte.
    public var line: Int
    /// 1-based byte column of the offending byte.
    public var column: Int
    /// What is wrong, in plain words.
    public var message: String

    init(_ message: String, at offset: Int, in bytes: [UInt8]) {
        let position = TextPosition(offset: offset, in: bytes)
        self.line = position.line
        self.column = position.column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
