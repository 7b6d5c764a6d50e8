/// A strict JSON reader (RFC 8259) that keeps object members in document
/// order, which Foundation's JSON parser does not.
///
/// It accepts exactly one value surrounded by optional whitespace, with the
/// full string escape set (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`,
/// `\uXXXX` including surrogate pairs), and rejects everything else with a
/// ``JSONSyntaxError`` naming the byte offset: raw control characters in
/// strings, lone surrogates, invalid UTF-8, leading zeros, trailing commas,
/// comments, trailing text, and nesting deeper than ``maximumDepth``.
public enum JSONReader {
    /// The deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 512

    /// Parses `bytes` (UTF-8) as one JSON value.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONSyntaxError) -> JSONValue in
            var parser = JSONParser(buffer: buffer, range: 0..<buffer.count, endName: "end of input")
            return try parser.parseDocument()
        }
    }
}

/// The parser proper, over a range of a byte buffer (one JSON Lines line, or
/// a whole document). Offsets in errors are relative to the range's start.
struct JSONParser {
    let buffer: UnsafeBufferPointer<UInt8>
    let start: Int
    let end: Int
    /// How the end of the range is called in errors: `end of line` or `end of input`.
    let endName: String
    private var position: Int

    init(buffer: UnsafeBufferPointer<UInt8>, range: Range<Int>, endName: String) {
        self.buffer = buffer
        self.start = range.lowerBound
        self.end = range.upperBound
        self.endName = endName
        self.position = range.lowerBound
    }

    /// One value, optional whitespace around it, nothing else.
    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard position == end else { throw failure(expected: endName) }
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard position < end else { throw failure(expected: "a JSON value") }
        switch buffer[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw failure(expected: "a JSON value")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONReader.maximumDepth else {
            throw failure(expected: "at most \(JSONReader.maximumDepth) nested arrays and objects")
        }
        position += 1
        var members: [JSONMember] = []
        skipWhitespace()
        if position < end && buffer[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < end && buffer[position] == UInt8(ascii: "\"") else {
                throw failure(expected: "a member name in double quotes")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < end && buffer[position] == UInt8(ascii: ":") else { throw failure(expected: "':'") }
            position += 1
            skipWhitespace()
            members.append(JSONMember(key, try parseValue(depth: depth)))
            skipWhitespace()
            guard position < end else { throw failure(expected: "',' or '}'") }
            switch buffer[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default:
                throw failure(expected: "',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth <= JSONReader.maximumDepth else {
            throw failure(expected: "at most \(JSONReader.maximumDepth) nested arrays and objects")
        }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < end && buffer[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < end else { throw failure(expected: "',' or ']'") }
            switch buffer[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default:
                throw failure(expected: "',' or ']'")
            }
        }
    }

    private mutating func parseLiteral(_ literal: StaticString, _ value: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        guard ByteText.hasPrefix(buffer, position..<end, literal) else {
            throw failure(expected: "a JSON value")
        }
        position += literal.utf8CodeUnitCount
        return value
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let numberStart = position
        if buffer[position] == UInt8(ascii: "-") { position += 1 }
        guard position < end, isDigit(buffer[position]) else { throw failure(expected: "a digit") }
        if buffer[position] == UInt8(ascii: "0") {
            position += 1
            if position < end && isDigit(buffer[position]) {
                throw failure(expected: "'.', 'e' or the end of the number (no leading zeros)")
            }
        } else {
            skipDigits()
        }
        if position < end && buffer[position] == UInt8(ascii: ".") {
            position += 1
            guard position < end, isDigit(buffer[position]) else { throw failure(expected: "a digit after '.'") }
            skipDigits()
        }
        if position < end && (buffer[position] | 0x20) == UInt8(ascii: "e") {
            position += 1
            if position < end && (buffer[position] == UInt8(ascii: "+") || buffer[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard position < end, isDigit(buffer[position]) else { throw failure(expected: "a digit in the exponent") }
            skipDigits()
        }
        return .number(ByteText.string(buffer, numberStart..<position))
    }

    /// A string starting at the opening quote; leaves `position` after the closing one.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let quote = position
        position += 1
        let contentStart = position
        var ascii = true
        // Fast path: no escapes.
        while position < end {
            let byte = buffer[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return try validated(UnsafeBufferPointer(rebasing: buffer[contentStart..<(position - 1)]), ascii: ascii, quote: quote)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw controlCharacter(byte) }
            if byte >= 0x80 { ascii = false }
            position += 1
        }
        var bytes = Array(buffer[contentStart..<position])
        while true {
            guard position < end else { throw failure(expected: "'\"' to close the string") }
            let byte = buffer[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return try bytes.withUnsafeBufferPointer { (decoded) throws(JSONSyntaxError) -> String in
                    try validated(decoded, ascii: false, quote: quote)
                }
            case UInt8(ascii: "\\"):
                try parseEscape(into: &bytes)
            case 0..<0x20:
                throw controlCharacter(byte)
            default:
                bytes.append(byte)
                position += 1
            }
        }
    }

    /// One escape sequence starting at the backslash, appended as UTF-8.
    private mutating func parseEscape(into bytes: inout [UInt8]) throws(JSONSyntaxError) {
        let escapeStart = position
        position += 1
        guard position < end else { throw failure(expected: "an escape character after '\\'") }
        let escaped = buffer[position]
        position += 1
        switch escaped {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escaped)
        case UInt8(ascii: "b"): bytes.append(0x08)
        case UInt8(ascii: "f"): bytes.append(0x0C)
        case UInt8(ascii: "n"): bytes.append(0x0A)
        case UInt8(ascii: "r"): bytes.append(0x0D)
        case UInt8(ascii: "t"): bytes.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            switch unit {
            case 0xD800...0xDBFF:
                let lowStart = position
                guard ByteText.hasPrefix(buffer, position..<end, "\\u") else {
                    throw failure(expected: "'\\u' and a low surrogate (DC00-DFFF) after a high surrogate")
                }
                position += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    position = lowStart
                    throw failure(expected: "a low surrogate (\\uDC00-\\uDFFF) after a high surrogate")
                }
                appendUTF8(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), to: &bytes)
            case 0xDC00...0xDFFF:
                position = escapeStart
                throw failure(expected: "a high surrogate (\\uD800-\\uDBFF) before a low surrogate")
            default:
                appendUTF8(unit, to: &bytes)
            }
        default:
            position = escapeStart
            throw failure(expected: "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < end, let digit = hexValue(buffer[position]) else {
                throw failure(expected: "4 hex digits after '\\u'")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            bytes.append(UInt8(scalar))
        case 0x80..<0x800:
            bytes.append(UInt8(0xC0 | scalar >> 6))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            bytes.append(UInt8(0xE0 | scalar >> 12))
            bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        default:
            bytes.append(UInt8(0xF0 | scalar >> 18))
            bytes.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            bytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            bytes.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// The bytes as a String, after checking the UTF-8 unless all are ASCII.
    private func validated(_ bytes: UnsafeBufferPointer<UInt8>, ascii: Bool, quote: Int) throws(JSONSyntaxError) -> String {
        guard ascii || ByteText.isValidUTF8(bytes) else {
            throw JSONSyntaxError(offset: quote - start, expected: "a string of valid UTF-8", found: "invalid UTF-8")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func controlCharacter(_ byte: UInt8) -> JSONSyntaxError {
        let code = String(byte, radix: 16, uppercase: true)
        return JSONSyntaxError(
            offset: position - start,
            expected: "an escaped control character (\\n, \\t, \\u0001) or '\"'",
            found: "a raw control character U+" + String(repeating: "0", count: 4 - code.count) + code
        )
    }

    private mutating func skipWhitespace() {
        while position < end {
            switch buffer[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
            default: return
            }
        }
    }

    private mutating func skipDigits() {
        while position < end && isDigit(buffer[position]) { position += 1 }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// An error at the current position; `found` is the next few bytes or the end.
    private func failure(expected: String) -> JSONSyntaxError {
        let found: String
        if position >= end {
            found = endName
        } else {
            found = ByteText.excerpt(buffer, position..<end, limit: 20)
        }
        return JSONSyntaxError(offset: position - start, expected: expected, found: found)
    }
}
