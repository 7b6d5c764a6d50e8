/// Lowercase, zero-padded hexadecimal text as the kernel prints AP identifiers
/// (`%02x` for adapters, `%04x` for domains) and small parsing helpers that
/// follow the C library's rules.
public enum HexText {
    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as exactly `width` lowercase hex digits to `bytes`.
    @inline(__always)
    static func append(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var shift = (width - 1) * 4
        while shift >= 0 {
            bytes.append(digits[(value >> shift) & 0xf])
            shift -= 4
        }
    }

    /// The value of one ASCII hex digit, or nil.
    @inline(__always)
    static func value(of byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    /// Parses exactly `width` lowercase hex digits, as the kernel (and aphotplug's
    /// own files) print identifiers; nil for anything else.
    public static func parsePrinted(_ text: some StringProtocol, width: Int) -> Int? {
        guard text.utf8.count == width, !text.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) })
        else { return nil }
        return parse(text.utf8, maxDigits: width)
    }

    /// Parses all of `bytes` as hex digits (no prefix); nil if empty, too long
    /// for `maxDigits` or not hex.
    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, maxDigits: Int) -> Int? {
        guard !bytes.isEmpty, bytes.count <= maxDigits else { return nil }
        var result = 0
        for byte in bytes {
            guard let digit = value(of: byte) else { return nil }
            result = result << 4 | digit
        }
        return result
    }

    /// Parses a whole string as an unsigned number with C base detection
    /// (`strtoul(s, &end, 0)` that must consume everything): `0x`/`0X` hex,
    /// a leading `0` octal, else decimal. At least one digit is required.
    static func parseCNumber(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var radix = 10
        var start = 0
        if bytes[0] == UInt8(ascii: "0") {
            if bytes.count > 2, bytes[1] | 0x20 == UInt8(ascii: "x"), value(of: bytes[2]) != nil {
                radix = 16
                start = 2
            } else {
                radix = 8
            }
        }
        var result = 0
        for byte in bytes[start...] {
            guard let digit = value(of: byte), digit < radix else { return nil }
            result = result * radix + digit
            if result > Int(UInt32.max) { return nil }
        }
        return result
    }
}
