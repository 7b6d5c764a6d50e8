/// Why a text could not be read as an AP mask. The kernel answers every one
/// of these with `EINVAL` and changes nothing.
public enum APMaskParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// More than 64 hex digits in the absolute form.
    case tooManyDigits(Int)
    /// A character that is not a hex digit (absolute form), after the digits.
    case unexpectedCharacter(String)
    /// A malformed term of the relative or list form (`+N`, `-N-M`, `N`, `N-M`).
    case badTerm(String)
    /// An id above 255, or a range whose start exceeds its end.
    case outOfRange(String)

    public var description: String {
        switch self {
        case .tooManyDigits(let count):
            return "\(count) hex digits, at most 64 fit a 256-bit mask"
        case .unexpectedCharacter(let text):
            return "unexpected '\(text)' after the hex digits (only one trailing newline is allowed)"
        case .badTerm(let term):
            return "malformed term '\(term)' (expected +N, -N, +N-M or -N-M with C numbers: 12, 0xc, 014)"
        case .outOfRange(let term):
            return "term '\(term)' is out of range (ids are 0...255, N <= M)"
        }
    }
}
