/// A syntax error in a trace file: where it is, what the reader expected and
/// what it found.
///
/// Only syntax is checked here. Kernel-side oddities inside well-formed
/// records (an unknown `ACTION`, a missing `DEVPATH`) are not trace errors;
/// they reach the engine, which reports them as anomalies.
///
/// `description` reads like a compiler diagnostic:
/// `night.trace:42: expected KEY=VALUE or a blank line, found 'foo'`.
public struct TraceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file name as given to the reader.
    public var fileName: String
    /// The 1-based line.
    public var line: Int
    /// The 1-based column (in bytes), for JSON errors; nil for whole-line errors.
    public var column: Int?
    /// What would have been valid here, in plain words.
    public var expected: String
    /// What was there: quoted text (`'foo'`) or a phrase such as `end of line`.
    public var found: String

    public init(fileName: String, line: Int, column: Int? = nil, expected: String, found: String) {
        self.fileName = fileName
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
    }

    public var description: String {
        let place = column.map { "\(fileName):\(line):\($0)" } ?? "\(fileName):\(line)"
        return "\(place): expected \(expected), found \(found)"
    }
}

extension TraceError {
    /// What a uevent's `SEQNUM` must be (``APModel/Uevent/seqnum(parsing:)``).
    static let seqnumExpectation = "SEQNUM to be a decimal number of at most 20 digits below 2^64"
}
