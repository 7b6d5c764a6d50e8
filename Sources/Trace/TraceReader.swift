/// Reads a trace file in either format (``TraceFormat``).
public enum TraceReader {
    /// Detects the format of `bytes` and parses every record.
    ///
    /// - Parameters:
    ///   - bytes: the file's content.
    ///   - fileName: used in error messages (`night.trace:42: ...`).
    /// - Throws: ``TraceError`` for the first syntax error.
    public static func read(_ bytes: [UInt8], fileName: String) throws(TraceError) -> [TraceEntry] {
        switch TraceFormat(detecting: bytes) {
        case .udevadmMonitor: return try UdevadmMonitorReader.read(bytes, fileName: fileName)
        case .jsonLines: return try JSONLinesReader.read(bytes, fileName: fileName)
        }
    }
}
