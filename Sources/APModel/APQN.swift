/// An AP queue number: one (adapter, domain) pair, the unit a guest is given.
///
/// Text form `AA.DDDD` in lowercase hex (`05.00ab`), which is also the queue
/// device's sysfs name under `/sys/devices/ap/cardAA/`.
public struct APQN: Hashable, Comparable, Sendable, HexIdentifier {
    public let adapter: APID
    public let domain: APQI

    public init(_ adapter: APID, _ domain: APQI) {
        self.adapter = adapter
        self.domain = domain
    }

    public init(adapter: UInt8, domain: UInt8) {
        self.init(APID(adapter), APQI(domain))
    }

    /// A dense index 0…65535 (adapter-major), for flat per-queue tables.
    public var index: Int { Int(adapter.rawValue) << 8 | Int(domain.rawValue) }

    /// The APQN with the dense `index` (adapter-major).
    public init(index: Int) {
        self.init(adapter: UInt8(truncatingIfNeeded: index >> 8), domain: UInt8(truncatingIfNeeded: index))
    }

    /// Appends `AA.DDDD`, lowercase hex.
    public func appendText(to bytes: inout [UInt8]) {
        adapter.appendText(to: &bytes)
        bytes.append(UInt8(ascii: "."))
        domain.appendText(to: &bytes)
    }

    /// Parses `AA.DDDD` (1–2 and 1–4 hex digits, as in sysfs names and `matrix` lines);
    /// domains above 0xff are rejected because no AP domain has such a number.
    public init?(_ text: Substring) {
        let bytes = text.utf8
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")),
              let adapter = HexText.parse(bytes[bytes.startIndex..<dot], maxDigits: 2),
              let domain = HexText.parse(bytes[bytes.index(after: dot)...], maxDigits: 4),
              domain <= 0xff
        else { return nil }
        self.init(adapter: UInt8(adapter), domain: UInt8(domain))
    }

    public static func < (lhs: APQN, rhs: APQN) -> Bool { lhs.index < rhs.index }
}
