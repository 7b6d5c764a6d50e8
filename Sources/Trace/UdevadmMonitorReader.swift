import APModel

/// Reads `udevadm monitor --property` output, as administrators capture it
/// with `udevadm monitor -k -p -s ap -s matrix -s mdev` (or `-u`, or both).
///
/// The text is a preamble (`monitor will print the received events for:` and
/// two legend lines), then one block per event: a header line
/// `KERNEL[1234.567890] add      /devices/ap/card05 (ap)` (or `UDEV  [...]`),
/// `KEY=VALUE` lines in arrival order, and a blank line. Unknown keys are
/// kept in order. CRLF line endings and a missing final blank line are fine.
/// A block without properties (captured without `--property`) yields
/// `ACTION`, `DEVPATH` and `SUBSYSTEM` from its header.
///
/// **Values ending in a newline.** The kernel's `APMASK`/`AQMASK` values end
/// in `\n`, so udevadm prints `APMASK=0x…` followed by an empty line before
/// the block's remaining keys (`SEQNUM`). A blank line that is followed by a
/// `KEY=VALUE` line rather than a header therefore belongs to the previous
/// value: the reader appends `\n` to that value and continues the block.
///
/// **KERNEL and UDEV blocks.** Once a KERNEL block has been read, UDEV blocks
/// are left out: KERNEL blocks carry the kernel's order and raw values, while
/// each UDEV block repeats an event (same `SEQNUM`) with udev's own properties
/// added and may arrive out of kernel order. UDEV blocks before the first
/// KERNEL block are kept (a trace with UDEV blocks only, or a capture started
/// between an event's KERNEL and UDEV blocks). The rule needs no look-ahead,
/// so a stream is read the same way (``TraceStreamReader``).
public enum UdevadmMonitorReader {
    /// Parses a whole trace.
    ///
    /// - Parameters:
    ///   - bytes: the file's content.
    ///   - fileName: used in error messages.
    /// - Throws: ``TraceError`` for a line that is neither part of the
    ///   preamble, a header, a `KEY=VALUE` line nor a blank line.
    public static func read(_ bytes: [UInt8], fileName: String) throws(TraceError) -> [TraceEntry] {
        var sawKernelBlock = false
        return try bytes.withUnsafeBufferPointer { (buffer) throws(TraceError) -> [TraceEntry] in
            try read(buffer, fileName: fileName, firstLine: 1, sawKernelBlock: &sawKernelBlock)
        }
    }

    /// Parses the complete blocks in `buffer`, whose first line is `firstLine`
    /// of the trace; `sawKernelBlock` carries the KERNEL/UDEV rule across chunks.
    static func read(
        _ buffer: UnsafeBufferPointer<UInt8>, fileName: String, firstLine: Int, sawKernelBlock: inout Bool
    ) throws(TraceError) -> [TraceEntry] {
        var parser = UdevadmMonitorParser(buffer: buffer, fileName: fileName, firstLine: firstLine)
        parser.sawKernelBlock = sawKernelBlock
        defer { sawKernelBlock = parser.sawKernelBlock }
        return try parser.parse()
    }

    /// Where the last block of `buffer` starts: the offset of its last header
    /// line, or nil when it has none. The bytes before it are complete blocks.
    static func lastHeaderStart(_ buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        var start = buffer.count
        while start > 0 {
            start -= 1
            if (start == 0 || buffer[start - 1] == UInt8(ascii: "\n")) && isHeaderStart(buffer, start..<buffer.count) {
                return start
            }
        }
        return nil
    }

    /// Whether the line starts like a block header (`KERNEL[` or `UDEV`, spaces, `[`).
    static func isHeaderStart(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        if ByteText.hasPrefix(buffer, range, "KERNEL[") { return true }
        guard ByteText.hasPrefix(buffer, range, "UDEV") else { return false }
        var index = range.lowerBound + 4
        while index < range.upperBound && buffer[index] == UInt8(ascii: " ") { index += 1 }
        return index < range.upperBound && buffer[index] == UInt8(ascii: "[")
    }
}

/// Which socket udevadm printed a block for.
private enum BlockSource {
    /// `KERNEL[...]`: the kernel's netlink message.
    case kernel
    /// `UDEV  [...]`: udevd's re-broadcast after rule processing.
    case udev
}

/// The parts of a block header line.
private struct BlockHeader {
    var source: BlockSource
    var action: Range<Int>
    var devpath: Range<Int>
    /// Inside the parentheses; empty when the header has none.
    var subsystem: Range<Int>
    /// The bracketed monotonic time, when it reads as seconds (up to 12 digits) and microseconds.
    var microseconds: UInt64?
}

private struct UdevadmMonitorParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let fileName: String
    var cursor: LineCursor

    /// Whether a KERNEL block was read (then UDEV blocks are left out).
    var sawKernelBlock = false

    init(buffer: UnsafeBufferPointer<UInt8>, fileName: String, firstLine: Int = 1) {
        self.buffer = buffer
        self.fileName = fileName
        self.cursor = LineCursor(buffer, firstLine: firstLine)
    }

    mutating func parse() throws(TraceError) -> [TraceEntry] {
        var entries: [TraceEntry] = []
        // A line that ended the previous block and is still to be looked at.
        var held: (number: Int, range: Range<Int>)?
        while true {
            let line: (number: Int, range: Range<Int>)
            if let pending = held {
                line = pending
                held = nil
            } else if let range = cursor.next() {
                line = (cursor.number, range)
            } else {
                break
            }
            if line.range.isEmpty || isPreamble(line.range) { continue }
            guard let header = parseHeader(line.range) else {
                throw TraceError(
                    fileName: fileName, line: line.number,
                    expected: "an event header like 'KERNEL[1234.567890] add /devices/ap/card05 (ap)'",
                    found: ByteText.excerpt(buffer, line.range)
                )
            }
            var properties: [Uevent.Property] = []
            properties.reserveCapacity(12)
            var blanks = 0
            while let range = cursor.next() {
                if range.isEmpty {
                    blanks += 1
                    continue
                }
                let equals = firstEquals(range)
                if isHeaderStart(range) || (blanks > 0 && (properties.isEmpty || equals == nil)) {
                    held = (cursor.number, range)
                    break
                }
                guard let equals, isKey(range.lowerBound..<equals) else {
                    throw TraceError(
                        fileName: fileName, line: cursor.number,
                        expected: "KEY=VALUE or a blank line", found: ByteText.excerpt(buffer, range)
                    )
                }
                if blanks > 0 {
                    properties[properties.count - 1].value += String(repeating: "\n", count: blanks)
                    blanks = 0
                }
                let property = Uevent.Property(
                    ByteText.string(buffer, range.lowerBound..<equals),
                    ByteText.string(buffer, (equals + 1)..<range.upperBound)
                )
                if property.key == "SEQNUM", Uevent.seqnum(parsing: property.value) == nil {
                    throw TraceError(
                        fileName: fileName, line: cursor.number, expected: TraceError.seqnumExpectation,
                        found: ByteText.excerpt(buffer, range))
                }
                properties.append(property)
            }
            if properties.isEmpty { properties = headerProperties(header) }
            let entry = TraceEntry(
                line: line.number, record: .uevent(Uevent(properties: properties)), microseconds: header.microseconds)
            switch header.source {
            case .kernel:
                sawKernelBlock = true
                entries.append(entry)
            case .udev:
                if !sawKernelBlock { entries.append(entry) }
            }
        }
        return entries
    }

    /// The three legend lines udevadm prints before the first event.
    private func isPreamble(_ range: Range<Int>) -> Bool {
        ByteText.equals(buffer, range, "monitor will print the received events for:")
            || ByteText.equals(buffer, range, "UDEV - the event which udev sends out after rule processing")
            || ByteText.equals(buffer, range, "KERNEL - the kernel uevent")
    }

    /// Whether the line starts like a block header (`KERNEL[` or `UDEV`, spaces, `[`).
    @inline(__always)
    private func isHeaderStart(_ range: Range<Int>) -> Bool { UdevadmMonitorReader.isHeaderStart(buffer, range) }

    /// Parses `KERNEL[<seconds>.<micros>] <action> <devpath> (<subsystem>)`.
    private func parseHeader(_ range: Range<Int>) -> BlockHeader? {
        let source: BlockSource
        var index: Int
        if ByteText.hasPrefix(buffer, range, "KERNEL[") {
            source = .kernel
            index = range.lowerBound + 7
        } else if isHeaderStart(range) {
            source = .udev
            index = range.lowerBound + 4
            while buffer[index] == UInt8(ascii: " ") { index += 1 }
            index += 1
        } else {
            return nil
        }
        let end = range.upperBound
        let timestampStart = index
        while index < end, buffer[index] == UInt8(ascii: ".") || (buffer[index] >= UInt8(ascii: "0") && buffer[index] <= UInt8(ascii: "9")) {
            index += 1
        }
        guard index > timestampStart, index < end, buffer[index] == UInt8(ascii: "]") else { return nil }
        let microseconds = microseconds(timestampStart..<index)
        index += 1
        guard let action = word(&index, end), let devpath = word(&index, end) else { return nil }
        var subsystem = index..<index
        skipSpaces(&index, end)
        if index < end {
            guard buffer[index] == UInt8(ascii: "("), buffer[end - 1] == UInt8(ascii: ")"), end - index >= 2 else {
                return nil
            }
            subsystem = (index + 1)..<(end - 1)
        }
        return BlockHeader(source: source, action: action, devpath: devpath, subsystem: subsystem, microseconds: microseconds)
    }

    /// `1234.567890` as microseconds; nil for any other form (the time is a
    /// hint, never an error). At most 12 digits of seconds and 6 of fraction,
    /// so the arithmetic cannot overflow; no allocation on this per-event path.
    private func microseconds(_ range: Range<Int>) -> UInt64? {
        var seconds: UInt64 = 0
        var fraction: UInt64 = 0
        var secondDigits = 0
        var fractionDigits = -1
        for index in range {
            let byte = buffer[index]
            if byte == UInt8(ascii: ".") {
                guard fractionDigits < 0 else { return nil }
                fractionDigits = 0
                continue
            }
            let digit = UInt64(byte &- UInt8(ascii: "0"))
            if fractionDigits < 0 {
                secondDigits += 1
                guard secondDigits <= 12 else { return nil }
                seconds = seconds * 10 + digit
            } else {
                fractionDigits += 1
                guard fractionDigits <= 6 else { return nil }
                fraction = fraction * 10 + digit
            }
        }
        guard secondDigits > 0, fractionDigits > 0 else { return nil }
        for _ in fractionDigits..<6 { fraction *= 10 }
        return seconds * 1_000_000 + fraction
    }

    /// Skips at least one space, then returns the following run of non-space bytes.
    private func word(_ index: inout Int, _ end: Int) -> Range<Int>? {
        let before = index
        skipSpaces(&index, end)
        guard index > before, index < end else { return nil }
        let start = index
        while index < end && buffer[index] != UInt8(ascii: " ") { index += 1 }
        return start..<index
    }

    private func skipSpaces(_ index: inout Int, _ end: Int) {
        while index < end && buffer[index] == UInt8(ascii: " ") { index += 1 }
    }

    @inline(__always)
    private func firstEquals(_ range: Range<Int>) -> Int? {
        var index = range.lowerBound
        while index < range.upperBound {
            if buffer[index] == UInt8(ascii: "=") { return index }
            index += 1
        }
        return nil
    }

    /// A property name: at least one printable ASCII byte, no spaces.
    @inline(__always)
    private func isKey(_ range: Range<Int>) -> Bool {
        guard !range.isEmpty else { return false }
        for index in range where buffer[index] <= UInt8(ascii: " ") || buffer[index] >= 0x7F { return false }
        return true
    }

    private func headerProperties(_ header: BlockHeader) -> [Uevent.Property] {
        var properties = [
            Uevent.Property("ACTION", ByteText.string(buffer, header.action)),
            Uevent.Property("DEVPATH", ByteText.string(buffer, header.devpath)),
        ]
        if !header.subsystem.isEmpty {
            properties.append(Uevent.Property("SUBSYSTEM", ByteText.string(buffer, header.subsystem)))
        }
        return properties
    }
}
