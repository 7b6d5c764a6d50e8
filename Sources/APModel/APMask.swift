/// A 256-bit AP mask: a set of adapter or domain numbers 0…255.
///
/// Bit 0 is the leftmost bit, as in the kernel (`test_bit_inv`) and in every
/// sysfs hex string: `0x80…` is {0}, `0x41` is {1, 7}. The four words are
/// stored most-significant-bit first, so word 0 holds ids 0–63 with id 0 in
/// its top bit. A value type with no heap storage.
public struct APMask: Hashable, Sendable {
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    @usableFromInline var w2: UInt64
    @usableFromInline var w3: UInt64

    @inlinable
    init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// The empty mask.
    @inlinable
    public init() { self.init(words: 0, 0, 0, 0) }

    /// A mask holding exactly `ids`.
    public init<S: Sequence<UInt8>>(_ ids: S) {
        self.init()
        for id in ids { insert(id) }
    }

    /// Every id 0…255 (the kernel's default apmask and aqmask).
    public static let all = APMask(words: .max, .max, .max, .max)

    /// No id at all.
    public static let none = APMask()

    /// The ids `range` (inclusive bounds 0…255).
    public init(range: ClosedRange<UInt8>) {
        self.init()
        for id in range { insert(id) }
    }

    @inlinable
    func word(_ index: Int) -> UInt64 {
        switch index & 3 {
        case 0: return w0
        case 1: return w1
        case 2: return w2
        default: return w3
        }
    }

    @inlinable
    mutating func setWord(_ index: Int, _ value: UInt64) {
        switch index & 3 {
        case 0: w0 = value
        case 1: w1 = value
        case 2: w2 = value
        default: w3 = value
        }
    }

    @inlinable
    static func bit(_ id: UInt8) -> UInt64 { 1 << (63 - UInt64(id & 63)) }

    /// Whether `id` is in the mask.
    @inlinable
    public func contains(_ id: UInt8) -> Bool {
        word(Int(id >> 6)) & Self.bit(id) != 0
    }

    /// Adds `id`.
    @inlinable
    public mutating func insert(_ id: UInt8) {
        let index = Int(id >> 6)
        setWord(index, word(index) | Self.bit(id))
    }

    /// Removes `id`.
    @inlinable
    public mutating func remove(_ id: UInt8) {
        let index = Int(id >> 6)
        setWord(index, word(index) & ~Self.bit(id))
    }

    /// Whether no id is set.
    @inlinable
    public var isEmpty: Bool { (w0 | w1 | w2 | w3) == 0 }

    /// How many ids are set.
    @inlinable
    public var count: Int {
        w0.nonzeroBitCount + w1.nonzeroBitCount + w2.nonzeroBitCount + w3.nonzeroBitCount
    }

    @inlinable
    public func union(_ other: APMask) -> APMask {
        APMask(words: w0 | other.w0, w1 | other.w1, w2 | other.w2, w3 | other.w3)
    }

    @inlinable
    public func intersection(_ other: APMask) -> APMask {
        APMask(words: w0 & other.w0, w1 & other.w1, w2 & other.w2, w3 & other.w3)
    }

    @inlinable
    public func subtracting(_ other: APMask) -> APMask {
        APMask(words: w0 & ~other.w0, w1 & ~other.w1, w2 & ~other.w2, w3 & ~other.w3)
    }

    /// Whether every id of `self` is also in `other`.
    @inlinable
    public func isSubset(of other: APMask) -> Bool { subtracting(other).isEmpty }

    /// Whether `self` and `other` share at least one id.
    @inlinable
    public func intersects(_ other: APMask) -> Bool { !intersection(other).isEmpty }

    /// The smallest id in the mask, or nil when empty.
    public var first: UInt8? {
        for index in 0..<4 {
            let value = word(index)
            if value != 0 { return UInt8(index * 64 + value.leadingZeroBitCount) }
        }
        return nil
    }
}

extension APMask: Sequence {
    /// Iterates the ids in ascending order, one word at a time.
    public struct Iterator: IteratorProtocol {
        let mask: APMask
        var index = 0
        var current: UInt64

        init(_ mask: APMask) {
            self.mask = mask
            self.current = mask.w0
        }

        public mutating func next() -> UInt8? {
            while current == 0 {
                index += 1
                if index > 3 { return nil }
                current = mask.word(index)
            }
            let offset = current.leadingZeroBitCount
            current &= ~(UInt64(1) << (63 - UInt64(offset)))
            return UInt8(index * 64 + offset)
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { count }
}

extension APMask {
    /// The ids as adapter numbers, ascending.
    public var adapterIDs: [APID] { map { APID($0) } }
    /// The ids as domain numbers, ascending.
    public var domainIDs: [APQI] { map { APQI($0) } }
}
