import APModel

/// Encodes a uevent the way libudev sends it between processes
/// (`struct udev_monitor_netlink_header`, testing-with-umockdev.md §4): a 40-byte
/// header, then `KEY=VALUE\0` for each property in order.
///
/// umockdev turns a monitor's netlink socket into an `AF_UNIX` datagram socket, so a
/// test delivers events by sending these datagrams to it (``UeventInjector``).
public enum UeventDatagram {
    /// `"libudev\0"`.
    static let prefix: [UInt8] = Array("libudev".utf8) + [0]
    /// `UDEV_MONITOR_MAGIC`, sent big-endian.
    static let magic: UInt32 = 0xfeed_cafe
    /// `sizeof(struct udev_monitor_netlink_header)`.
    public static let headerSize = 40

    /// Header plus payload for `event`. The subsystem and devtype hashes come from its
    /// `SUBSYSTEM` and `DEVTYPE`; the tag bloom from `TAGS` (`:tag1:tag2:`), 0 without.
    public static func encode(_ event: Uevent) -> [UInt8] {
        var payload: [UInt8] = []
        for property in event.properties {
            payload += Array(property.key.utf8)
            payload.append(UInt8(ascii: "="))
            payload += Array(property.value.utf8)
            payload.append(0)
        }
        let tags = (event["TAGS"] ?? "").split(separator: ":").map(String.init)
        let bloom = bloom64(tags: tags)
        var datagram = prefix
        datagram.reserveCapacity(headerSize + payload.count)
        appendBigEndian(magic, to: &datagram)
        appendHostOrder(UInt32(headerSize), to: &datagram)          // header_size
        appendHostOrder(UInt32(headerSize), to: &datagram)          // properties_off
        appendHostOrder(UInt32(payload.count), to: &datagram)       // properties_len
        appendBigEndian(event.subsystem.map(stringHash32) ?? 0, to: &datagram)
        appendBigEndian(event["DEVTYPE"].map(stringHash32) ?? 0, to: &datagram)
        appendBigEndian(UInt32(truncatingIfNeeded: bloom >> 32), to: &datagram)
        appendBigEndian(UInt32(truncatingIfNeeded: bloom), to: &datagram)
        precondition(datagram.count == headerSize, "The libudev header must be exactly 40 bytes.")
        return datagram + payload
    }

    /// systemd's `string_hash32()`: MurmurHash2, seed 0, 4-byte chunks loaded in native
    /// byte order (so values differ between little- and big-endian hosts, exactly as
    /// they do for libudev itself). `ap` → `0xf026bf09` everywhere.
    public static func stringHash32(_ text: String) -> UInt32 {
        let bytes = Array(text.utf8)
        let m: UInt32 = 0x5bd1_e995
        var hash = UInt32(truncatingIfNeeded: bytes.count)
        var offset = 0
        bytes.withUnsafeBytes { raw in
            while bytes.count - offset >= 4 {
                var k = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                k = k &* m
                k ^= k >> 24
                k = k &* m
                hash = hash &* m
                hash ^= k
                offset += 4
            }
        }
        let remaining = bytes.count - offset
        if remaining == 3 { hash ^= UInt32(bytes[offset + 2]) << 16 }
        if remaining >= 2 { hash ^= UInt32(bytes[offset + 1]) << 8 }
        if remaining >= 1 {
            hash ^= UInt32(bytes[offset])
            hash = hash &* m
        }
        hash ^= hash >> 13
        hash = hash &* m
        hash ^= hash >> 15
        return hash
    }

    /// systemd's `string_bloom64()` over every tag, OR-ed.
    public static func bloom64(tags: [String]) -> UInt64 {
        var bits: UInt64 = 0
        for tag in tags {
            let hash = stringHash32(tag)
            bits |= 1 << UInt64(hash & 63)
            bits |= 1 << UInt64((hash >> 6) & 63)
            bits |= 1 << UInt64((hash >> 12) & 63)
            bits |= 1 << UInt64((hash >> 18) & 63)
        }
        return bits
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    private static func appendHostOrder(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value) { bytes += $0 }
    }
}
