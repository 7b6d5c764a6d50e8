/// Walks a byte buffer line by line, counting lines from 1. A line ends at
/// `\n`; a `\r` right before it is dropped (CRLF files); the last line may
/// lack its `\n`.
struct LineCursor {
    let buffer: UnsafeBufferPointer<UInt8>
    private var offset = 0
    /// The 1-based number of the line that ``next()`` returned last.
    private(set) var number = 0

    /// A cursor whose first line is numbered `firstLine` (a stream's later chunks).
    init(_ buffer: UnsafeBufferPointer<UInt8>, firstLine: Int = 1) {
        self.buffer = buffer
        self.number = firstLine - 1
    }

    /// The byte range of the next line without its line ending, or nil at
    /// the end of the buffer.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        let count = buffer.count
        guard offset < count else { return nil }
        let start = offset
        var end = start
        while end < count && buffer[end] != UInt8(ascii: "\n") { end += 1 }
        offset = end + 1
        number += 1
        if end > start && buffer[end - 1] == UInt8(ascii: "\r") { return start..<(end - 1) }
        return start..<end
    }
}
