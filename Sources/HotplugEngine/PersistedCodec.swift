import APModel

/// Writes the primitives of aphotplug's persisted state: LEB128 varints, masks
/// as a tag byte (empty, all, or four big-endian words), length-prefixed UTF-8.
/// Pure: it builds bytes, the shell writes them.
public struct PersistedEncoder {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// An unsigned LEB128 varint.
    public mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    /// A signed integer, zigzag-encoded as a varint.
    public mutating func int(_ value: Int) {
        let wide = Int64(value)
        varint(UInt64(bitPattern: (wide << 1) ^ (wide >> 63)))
    }

    public mutating func string(_ value: String) {
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// Raw bytes, as they are (a magic).
    public mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }

    public mutating func mask(_ value: APMask) {
        if value.isEmpty { return byte(PersistedMaskTag.empty) }
        if value == .all { return byte(PersistedMaskTag.all) }
        byte(PersistedMaskTag.words)
        let (w0, w1, w2, w3) = value.words
        for word in [w0, w1, w2, w3] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
    }

    public mutating func matrix(_ value: APMatrix) {
        mask(value.adapters)
        mask(value.domains)
        mask(value.controlDomains)
    }

    /// A presence flag, then the value if present.
    public mutating func optional<T>(_ value: T?, _ encode: (inout PersistedEncoder, T) -> Void) {
        bool(value != nil)
        if let value { encode(&self, value) }
    }
}

/// Reads what ``PersistedEncoder`` wrote. Every read names the field it reads,
/// so that an error says which field was truncated or invalid, and where.
public struct PersistedDecoder {
    private let bytes: [UInt8]
    /// The offset of the next byte to read.
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// An error at the current offset.
    public func error(_ code: PersistedStateError.Code, _ field: String) -> PersistedStateError {
        PersistedStateError(code, field: field, offset: offset)
    }

    /// Throws ``PersistedStateError/Code/trailingBytes(_:)`` unless every byte was read.
    public func expectEnd(_ field: String) throws(PersistedStateError) {
        guard isAtEnd else { throw error(.trailingBytes(bytes.count - offset), field) }
    }

    public mutating func byte(_ field: String) throws(PersistedStateError) -> UInt8 {
        guard offset < bytes.count else { throw error(.truncated, field) }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func bool(_ field: String) throws(PersistedStateError) -> Bool {
        switch try byte(field) {
        case 0: return false
        case 1: return true
        case let other:
            offset -= 1
            throw error(.invalidValue("\(other) is not a boolean (0 or 1)"), field)
        }
    }

    public mutating func varint(_ field: String) throws(PersistedStateError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte(field)
            guard shift < 64, shift < 63 || next <= 1 else {
                offset = start
                throw error(.invalidValue("varint longer than 64 bits"), field)
            }
            value |= UInt64(next & 0x7f) << shift
            if next & 0x80 == 0 { return value }
            shift += 7
        }
    }

    public mutating func int(_ field: String) throws(PersistedStateError) -> Int {
        let raw = try varint(field)
        let wide = Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
        guard let value = Int(exactly: wide) else { throw error(.invalidValue("\(wide) does not fit an Int"), field) }
        return value
    }

    /// A count of items that follow, each at least `minimumSize` bytes: bounded by
    /// the bytes left, so that a corrupt count can never make a decoder allocate wildly.
    public mutating func count(_ field: String, minimumSize: Int = 1) throws(PersistedStateError) -> Int {
        let start = offset
        let value = try varint(field)
        guard value <= UInt64(bytes.count - offset) / UInt64(max(minimumSize, 1)) else {
            offset = start
            throw error(.truncated, field)
        }
        return Int(value)
    }

    public mutating func string(_ field: String) throws(PersistedStateError) -> String {
        let length = try count(field)
        defer { offset += length }
        return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
    }

    /// `count` raw bytes, which must equal `expected` (a magic).
    public mutating func raw(_ expected: [UInt8], _ field: String) throws(PersistedStateError) {
        guard bytes.count - offset >= expected.count, bytes[offset..<offset + expected.count].elementsEqual(expected) else {
            throw error(.notPersistedState, field)
        }
        offset += expected.count
    }

    public mutating func mask(_ field: String) throws(PersistedStateError) -> APMask {
        switch try byte(field) {
        case PersistedMaskTag.empty: return APMask()
        case PersistedMaskTag.all: return .all
        case PersistedMaskTag.words:
            guard bytes.count - offset >= 32 else { throw error(.truncated, field) }
            var words: [UInt64] = [0, 0, 0, 0]
            for index in 0..<32 { words[index / 8] = words[index / 8] << 8 | UInt64(bytes[offset + index]) }
            offset += 32
            return APMask(words: (words[0], words[1], words[2], words[3]))
        case let tag:
            offset -= 1
            throw error(.invalidValue("mask tag \(tag)"), field)
        }
    }

    public mutating func matrix(_ field: String) throws(PersistedStateError) -> APMatrix {
        APMatrix(
            adapters: try mask(field + ".adapters"), domains: try mask(field + ".domains"),
            controlDomains: try mask(field + ".control_domains"))
    }

    public mutating func optional<T>(
        _ field: String, _ decode: (inout PersistedDecoder) throws(PersistedStateError) -> T
    ) throws(PersistedStateError) -> T? {
        try bool(field) ? try decode(&self) : nil
    }

    public mutating func uuid(_ field: String) throws(PersistedStateError) -> MdevUUID {
        let start = offset
        let text = try string(field)
        guard let uuid = MdevUUID(text) else {
            offset = start
            throw error(.invalidValue("'\(text.prefix(40))' is not an mdev UUID"), field)
        }
        return uuid
    }

    public mutating func apqn(_ field: String) throws(PersistedStateError) -> APQN {
        let start = offset
        let index = try varint(field)
        guard index < 65_536 else {
            offset = start
            throw error(.invalidValue("APQN index \(index) is above 65535"), field)
        }
        return APQN(index: Int(index))
    }
}

extension PersistedEncoder {
    public mutating func uuid(_ value: MdevUUID) { string(value.description) }

    public mutating func apqn(_ value: APQN) { varint(UInt64(value.index)) }
}

/// How a mask is written: the two common values take one byte.
enum PersistedMaskTag {
    static let empty: UInt8 = 0
    static let all: UInt8 = 1
    static let words: UInt8 = 2
}
