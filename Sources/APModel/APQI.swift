/// An AP queue index (APQI, 0…255): a usage or control domain.
///
/// Printed as four lowercase hex digits in APQNs and in `control_domains`
/// (`00ab`), although only 0…255 exist.
public struct APQI: RawRepresentable, Hashable, Comparable, Sendable, HexIdentifier {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public init(_ value: UInt8) { self.rawValue = value }

    /// Appends the 4 lowercase hex digits (`00ab`).
    public func appendText(to bytes: inout [UInt8]) { HexText.append(Int(rawValue), width: 4, to: &bytes) }

    public static func < (lhs: APQI, rhs: APQI) -> Bool { lhs.rawValue < rhs.rawValue }
}
