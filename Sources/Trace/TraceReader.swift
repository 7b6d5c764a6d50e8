/// Reads a trace file in either format (``TraceFormat``).
public enum TraceReader {
    /// Detects the format of `bytes` and parses every record.
    ///
    /// - Parameters:
    ///   - bytes: the file's content.
    ///   - fileName: used in error messages (`night.trace:42: ...`).
    /// - Throws: ``TraceError`` for the first syntax error.
    public static func read(_ bytes: [UInt8], fileName: String) throws(TraceError) -> [TraceEntry] {
        var stream = TraceStreamReader(fileName: fileName)
        stream.append(bytes)
        return try stream.entries(atEnd: true)
    }
}
