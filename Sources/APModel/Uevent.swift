/// One kernel or udev uevent: its properties in the order they arrived.
///
/// Unknown keys are kept (traces must replay exactly, and the engine may
/// learn to use them later). Values are stored raw: `APMASK` keeps the
/// kernel's trailing newline.
public struct Uevent: Hashable, Sendable {
    /// One `KEY=VALUE` property.
    public struct Property: Hashable, Sendable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The properties, in arrival order.
    public var properties: [Property]

    public init(properties: [Property]) { self.properties = properties }

    /// Builds an event from `(key, value)` pairs in order.
    public init(_ pairs: KeyValuePairs<String, String>) {
        self.properties = pairs.map { Property($0.key, $0.value) }
    }

    /// The value of `key`, or nil. The first occurrence wins.
    public subscript(key: String) -> String? {
        for property in properties where property.key == key { return property.value }
        return nil
    }

    /// `ACTION` (add, remove, change, bind, unbind, move, online, offline).
    public var action: String? { self["ACTION"] }
    /// `DEVPATH`, e.g. `/devices/ap/card05/05.0004`.
    public var devpath: String? { self["DEVPATH"] }
    /// `SUBSYSTEM`, e.g. `ap`, `matrix`, `mdev`.
    public var subsystem: String? { self["SUBSYSTEM"] }
    /// `DRIVER`, present on `bind` and on events of bound devices, never on `unbind`.
    public var driver: String? { self["DRIVER"] }
    /// `SEQNUM`, the kernel's event counter, if present and numeric.
    public var seqnum: UInt64? { self["SEQNUM"].flatMap(Self.seqnum(parsing:)) }

    /// A SEQNUM as the kernel writes it: 1 to 20 decimal digits, at most
    /// 2^64−1; nil for anything else (`+5`, `-1`, `0x10`, empty, 2^64).
    public static func seqnum(parsing text: String) -> UInt64? {
        let digits = text.utf8
        guard (1...20).contains(digits.count),
              digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(text)
    }
}
