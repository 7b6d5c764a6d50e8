/// The kernel's number parsers as sysfs stores use them.
enum KernelNumber {
    /// `kstrtoul(text, 0)`: optional `+`, then C base detection (`0x` hex,
    /// leading `0` octal, else decimal), digits only, one trailing newline.
    /// EINVAL on anything else, ERANGE above `ULONG_MAX`.
    static func kstrtoul(_ text: String) throws(KernelErrno) -> UInt64 {
        var bytes = Array(text.utf8)[...]
        if bytes.last == UInt8(ascii: "\n") { bytes = bytes.dropLast() }
        if bytes.first == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        var radix: UInt64 = 10
        if bytes.first == UInt8(ascii: "0") {
            let second = bytes.dropFirst().first
            let third = bytes.dropFirst(2).first
            if let second, second | 0x20 == UInt8(ascii: "x"), let third, hexValue(third) != nil {
                radix = 16
                bytes = bytes.dropFirst(2)
            } else {
                radix = 8
            }
        }
        guard !bytes.isEmpty else { throw .EINVAL }
        var result: UInt64 = 0
        for byte in bytes {
            guard let digit = hexValue(byte), UInt64(digit) < radix else { throw .EINVAL }
            let (shifted, overflow1) = result.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { throw .ERANGE }
            result = sum
        }
        return result
    }

    /// `sscanf(text, "%d")`: leading white space, an optional sign and at
    /// least one decimal digit; anything after the digits is ignored. Nil
    /// when no number starts the text (or it does not fit an Int32).
    static func scanDecimal(_ text: String) -> Int? {
        var bytes = Array(text.utf8)[...]
        while let first = bytes.first, first == 0x20 || (0x09...0x0d).contains(first) { bytes = bytes.dropFirst() }
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var value = 0
        var digits = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { break }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            if value > Int(Int32.max) { return nil }
        }
        guard digits > 0 else { return nil }
        return negative ? -value : value
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
