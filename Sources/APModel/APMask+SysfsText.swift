extension APMask {
    /// Parses the kernel's absolute mask syntax (`hex2bitmap`): an optional
    /// `0x` (or `x`) prefix, then up to 64 hex digits in either case read left
    /// to right as bits 0, 1, 2, …; shorter input is zero-padded on the right;
    /// one trailing newline is allowed. The empty string is the empty mask.
    ///
    /// `0x41` is {1, 7}; `0x` clears every bit.
    public init(sysfsHex text: String) throws(APMaskParseError) {
        var bytes = Substring(text).utf8[...]
        if bytes.starts(with: "0x".utf8) { bytes = bytes.dropFirst(1) }
        if bytes.first == UInt8(ascii: "x") { bytes = bytes.dropFirst() }
        self.init()
        var position = 0
        while let byte = bytes.first, let digit = HexText.value(of: byte) {
            guard position < 64 else {
                let total = position + bytes.prefix(while: { HexText.value(of: $0) != nil }).count
                throw .tooManyDigits(total)
            }
            for bitInDigit in 0..<4 where digit & (8 >> bitInDigit) != 0 {
                insert(UInt8(position * 4 + bitInDigit))
            }
            position += 1
            bytes = bytes.dropFirst()
        }
        if bytes.first == UInt8(ascii: "\n") { bytes = bytes.dropFirst() }
        guard bytes.isEmpty else { throw .unexpectedCharacter(String(decoding: bytes, as: UTF8.self)) }
    }

    /// `0x` and 64 lowercase hex digits, as sysfs prints `apmask`,
    /// `ap_adapter_mask` and each part of `ap_config` (no newline).
    public var sysfsHex: String {
        var bytes = [UInt8](repeating: 0, count: 66)
        bytes[0] = UInt8(ascii: "0")
        bytes[1] = UInt8(ascii: "x")
        for index in 0..<4 {
            let value = word(index)
            for nibble in 0..<16 {
                bytes[2 + index * 16 + nibble] = HexText.digits[Int((value >> UInt64(60 - nibble * 4)) & 0xf)]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
