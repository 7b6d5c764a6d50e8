/// An AP adapter number (APID, 0…255): one crypto card as the AP bus sees it.
///
/// The kernel names the card device `cardAA` and prints the APID as two
/// lowercase hex digits in APQNs (`05.00ab`).
public struct APID: RawRepresentable, Hashable, Comparable, Sendable, HexIdentifier {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public init(_ value: UInt8) { self.rawValue = value }

    /// Appends the 2 lowercase hex digits (`05`).
    public func appendText(to bytes: inout [UInt8]) { HexText.append(Int(rawValue), width: 2, to: &bytes) }

    /// The card device's name, `card05`.
    public var cardName: String { "card" + description }

    /// Parses a card device name such as `card05` (hex, as the kernel writes it).
    public init?(cardName: Substring) {
        guard cardName.hasPrefix("card"),
              let value = HexText.parse(cardName.utf8.dropFirst(4), maxDigits: 2)
        else { return nil }
        self.rawValue = UInt8(value)
    }

    public static func < (lhs: APID, rhs: APID) -> Bool { lhs.rawValue < rhs.rawValue }
}
