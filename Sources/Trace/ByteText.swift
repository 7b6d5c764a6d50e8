/// Small helpers for reading UTF-8 text byte by byte.
enum ByteText {
    /// The bytes `buffer[range]` as a String; invalid UTF-8 is repaired with
    /// U+FFFD (uevent values are passed through, not judged).
    @inline(__always)
    static func string(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
    }

    /// Whether `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no
    /// surrogates, nothing above U+10FFFF, no truncated sequences).
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard index + length <= count, bytes[index + 1] >= low, bytes[index + 1] <= high else { return false }
            for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }

    /// Whether `buffer[range]` equals `literal` byte for byte.
    @inline(__always)
    static func equals(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        return hasPrefix(buffer, range, literal)
    }

    /// Whether `buffer[range]` starts with `literal`.
    @inline(__always)
    static func hasPrefix(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard range.count >= count else { return false }
        let start = literal.utf8Start
        for offset in 0..<count where buffer[range.lowerBound + offset] != start[offset] { return false }
        return true
    }

    /// `found` text for an error: the bytes in single quotes, cut after
    /// `limit` bytes with `…` so one bad line cannot flood a terminal.
    static func excerpt(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, limit: Int = 60) -> String {
        if range.count <= limit { return "'" + string(buffer, range) + "'" }
        var end = range.lowerBound + limit
        // Do not cut a UTF-8 sequence in half.
        while end > range.lowerBound, buffer[end] & 0xC0 == 0x80 { end -= 1 }
        return "'" + string(buffer, range.lowerBound..<end) + "…'"
    }
}
