/// A 1-based line and byte column in a document, computed from a byte offset
/// only when a message needs it.
struct TextPosition: Equatable, Sendable, CustomStringConvertible {
    var line: Int
    var column: Int

    /// The position of `offset` in `bytes`; an offset at the end is the
    /// position just after the last byte.
    init(offset: Int, in bytes: [UInt8]) {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        self.line = line
        self.column = offset - lineStart + 1
    }

    var description: String { "line \(line), column \(column)" }
}
