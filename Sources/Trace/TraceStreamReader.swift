/// Reads a trace as it arrives, in either format (``TraceFormat``): feed it
/// the bytes read so far with ``append(_:)`` and take the records that are
/// complete with ``entries(atEnd:idle:)``. Memory holds only the records not
/// yet complete, so a trace of any length (a pipe from `udevadm monitor`, a
/// week of captures) is read in constant memory, and each record can be
/// acted on as soon as it is complete.
///
/// The format is detected on the first non-blank byte. A JSON Lines record is
/// complete at its newline. A udevadm block is complete when the next block's
/// header line arrives (a blank line inside a block belongs to a value that
/// ends in a newline, as `APMASK` does), at the end of the input, or, when the
/// input is `idle` (nothing more to read for now), if it is followed by a blank
/// line: udevadm writes each block whole. Line numbers count from the start of
/// the trace, as ``TraceReader/read(_:fileName:)`` gives them; both read the
/// same records from the same bytes.
public struct TraceStreamReader {
    public let fileName: String
    public private(set) var format: TraceFormat?
    private var pending: [UInt8] = []
    /// The trace line `pending` starts at.
    private var nextLine = 1
    /// The KERNEL/UDEV rule of ``UdevadmMonitorReader``, across chunks.
    private var sawKernelBlock = false

    /// How much of `pending` was searched for record ends already.
    private var searched = 0
    /// Where the last record that may be incomplete starts in `pending` (a udevadm header line), if found.
    private var lastStart: Int?
    /// The longest record held while waiting for its end.
    let maximumRecordBytes: Int

    /// The default longest record: a snapshot record of a full-scale host is
    /// about 40 MiB; anything far longer is not a trace.
    public static let maximumRecordBytes = 256 << 20

    public init(fileName: String) { self.init(fileName: fileName, maximumRecordBytes: Self.maximumRecordBytes) }

    init(fileName: String, maximumRecordBytes: Int) {
        self.fileName = fileName
        self.maximumRecordBytes = maximumRecordBytes
    }

    /// Buffers bytes read from the trace.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        pending.append(contentsOf: bytes)
    }

    /// Buffers bytes read from the trace.
    public mutating func append(_ bytes: [UInt8]) {
        pending.append(contentsOf: bytes)
    }

    /// The records complete so far, in order; those are dropped from the buffer.
    ///
    /// - Parameters:
    ///   - atEnd: the input ended: whatever is buffered is complete.
    ///   - idle: nothing more can be read for now (a live pipe): a udevadm
    ///     block followed by a blank line is taken as complete.
    /// - Throws: ``TraceError`` with the trace's file and line for a malformed record.
    public mutating func entries(atEnd: Bool, idle: Bool = false) throws(TraceError) -> [TraceEntry] {
        if format == nil {
            format = TraceFormat(detectingPrefix: pending)
            if format == nil {
                guard atEnd else { return [] }
                format = .udevadmMonitor
            }
        }
        let fileName = fileName
        let firstLine = nextLine
        var sawKernelBlock = sawKernelBlock
        let format = format
        // Only the bytes added since the last call are searched (a header may start
        // up to its prefix's length before them).
        let searchFrom = max(0, searched - 8)
        var lastStart = lastStart
        let (entries, consumed) = try pending.withUnsafeBufferPointer {
            (buffer) throws(TraceError) -> ([TraceEntry], Int) in
            let fresh = UnsafeBufferPointer(rebasing: buffer[searchFrom...])
            let end: Int
            switch format {
            case .jsonLines?:
                if let newline = Self.lastNewline(fresh) { lastStart = searchFrom + newline + 1 }
                end = atEnd ? buffer.count : (lastStart ?? 0)
            case .udevadmMonitor?, nil:
                if let header = UdevadmMonitorReader.lastHeaderStart(fresh) {
                    let start = searchFrom + header
                    // A match at the window's first byte must begin a line of the whole buffer.
                    if header > 0 || start == 0 || buffer[start - 1] == UInt8(ascii: "\n") { lastStart = start }
                }
                if atEnd || (idle && Self.endsWithBlankLine(buffer)) {
                    end = buffer.count
                } else {
                    end = lastStart ?? 0
                }
            }
            guard end > 0 else { return ([], 0) }
            let complete = UnsafeBufferPointer(rebasing: buffer[..<end])
            switch format {
            case .jsonLines?:
                return (try JSONLinesReader.read(complete, fileName: fileName, firstLine: firstLine), end)
            case .udevadmMonitor?, nil:
                return (try UdevadmMonitorReader.read(
                    complete, fileName: fileName, firstLine: firstLine, sawKernelBlock: &sawKernelBlock), end)
            }
        }
        searched = pending.count
        self.lastStart = lastStart
        guard consumed > 0 else {
            if pending.count > maximumRecordBytes {
                throw TraceError(
                    fileName: fileName, line: nextLine, expected: "a record of at most \(maximumRecordBytes >> 20) MiB",
                    found: "\(pending.count >> 20) MiB without an end")
            }
            return entries
        }
        self.sawKernelBlock = sawKernelBlock
        searched -= consumed
        self.lastStart = lastStart.flatMap { $0 > consumed ? $0 - consumed : nil }
        var lines = 0
        for byte in pending[..<consumed] where byte == UInt8(ascii: "\n") { lines += 1 }
        nextLine += lines
        pending.removeFirst(consumed)
        return entries
    }

    private static func lastNewline(_ buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = buffer.count
        while index > 0 {
            index -= 1
            if buffer[index] == UInt8(ascii: "\n") { return index }
        }
        return nil
    }

    /// Whether the buffer ends in an empty line (`\n\n`, or `\n\r\n`).
    private static func endsWithBlankLine(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = buffer.count
        var newlines = 0
        while index > 0 {
            index -= 1
            switch buffer[index] {
            case UInt8(ascii: "\n"): newlines += 1
            case UInt8(ascii: "\r"): continue
            default: return newlines >= 2
            }
            if newlines >= 2 { return true }
        }
        return false
    }
}
