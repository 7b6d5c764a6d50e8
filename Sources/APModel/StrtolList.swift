/// An mdevctl `attrs` value as s390-tools' libap reads it (`modify_device_attr`
/// in `libap/ap.c`): split at commas with `strtok` (empty pieces are skipped,
/// so `""` is no id at all), each piece read with `strtol(piece, NULL, 0)`:
/// leading white space, an optional sign, then `0x`/`0X` hex, a leading `0`
/// octal or decimal.
///
/// Where libap takes what `strtol` returns regardless, this reading refuses a
/// piece without digits (libap would take id 0), a negative one (libap would
/// take a huge unsigned id) and one with text after its digits other than white
/// space (`08`, `5x`: libap would take the leading part, and the kernel's
/// `kstrtoul` refuses the write mdevctl makes of it), so that enforcement never
/// assigns an id nobody wrote.
enum StrtolList {
    /// Why a piece was refused.
    enum Refusal: Error {
        case notANumber(String)
    }

    static func ids(_ text: Substring) throws(Refusal) -> [Int] {
        var result: [Int] = []
        for piece in text.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            guard let value = number(Array(piece)) else { throw .notANumber(String(decoding: piece, as: UTF8.self)) }
            result.append(value)
        }
        return result
    }

    /// C `isspace` in the C locale.
    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0d).contains(byte)
    }

    /// One piece, or nil when refused; values beyond `UInt32.max` are nil too.
    private static func number(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") { index += 1 }
        var radix = 10
        if index < bytes.count, bytes[index] == UInt8(ascii: "0") {
            if index + 2 < bytes.count, bytes[index + 1] | 0x20 == UInt8(ascii: "x"),
               HexText.value(of: bytes[index + 2]) != nil {
                radix = 16
                index += 2
            } else {
                radix = 8
            }
        }
        var result = 0
        var digits = 0
        while index < bytes.count, let digit = HexText.value(of: bytes[index]), digit < radix {
            result = result * radix + digit
            if result > Int(UInt32.max) { return nil }
            digits += 1
            index += 1
        }
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        guard digits > 0, index == bytes.count else { return nil }
        return result
    }
}
