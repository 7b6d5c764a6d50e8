/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib's `crc32()` and
/// `cksum -a crc32b`), for the integrity line of `engine.state`.
///
/// Written here rather than imported: no checksum library is among the
/// project's dependencies (swift-crypto is not reachable from the build
/// machines), and zlib would need a system-library target and `zlib1g-dev` on
/// every host for one function of twenty lines. The check guards against bit
/// flips and truncation, not against an attacker, who would need to write into
/// the root-owned state directory in the first place.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
        return value
    }

    /// The checksum of `bytes`.
    static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
