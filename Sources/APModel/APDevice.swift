/// The AP and vfio_ap devices that aphotplug cares about, recognised from a
/// `DEVPATH` (`/devices/ap/card05/05.0004`) or a sysfs-relative path.
public enum APDevice: Hashable, Sendable {
    /// `/devices/ap`, the AP bus root device (INITSCAN, BINDINGS, APMASK, AQMASK events).
    case busRoot
    /// `/devices/ap/cardAA`, one adapter.
    case card(APID)
    /// `/devices/ap/cardAA/AA.DDDD`, one queue.
    case queue(APQN)
    /// `/devices/vfio_ap/matrix`, the vfio_ap matrix device (mdev parent).
    case matrix
    /// `/devices/vfio_ap/matrix/<uuid>`, one vfio_ap mediated device.
    case mdev(MdevUUID)

    /// Recognises a DEVPATH; nil for anything else (VFIO nodes, modules, buses…).
    /// Works on the UTF-8 bytes without allocating: it runs once per uevent.
    public init?(devpath: String) {
        var text = devpath
        guard let device = text.withUTF8({ Self.parse(devpath: $0) }) else { return nil }
        self = device
    }

    /// Whether `bytes` starts with `prefix`: byte by byte over two buffers, which
    /// the generic `starts(with:)` over a `String.UTF8View` is not (once per uevent).
    @inline(__always)
    private static func hasPrefix(_ bytes: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { expected in
            guard bytes.count >= expected.count else { return false }
            for index in 0..<expected.count where bytes[index] != expected[index] { return false }
            return true
        }
    }

    private static func parse(devpath bytes: UnsafeBufferPointer<UInt8>) -> APDevice? {
        let ap: StaticString = "/devices/ap"
        let vfio: StaticString = "/devices/vfio_ap/matrix"
        if hasPrefix(bytes, ap) {
            let rest = UnsafeBufferPointer(rebasing: bytes[ap.utf8CodeUnitCount...])
            if rest.isEmpty { return .busRoot }
            // "/cardAA" then optionally "/AA.DDDD"
            guard rest.count >= 7, hasPrefix(rest, "/card") else { return nil }
            let slash = rest[1...].firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
            guard let card = HexText.parse(rest[5..<slash], maxDigits: 2) else { return nil }
            if slash == rest.endIndex { return .card(APID(UInt8(card))) }
            let queue = rest[(slash + 1)...]
            guard let dot = queue.firstIndex(of: UInt8(ascii: ".")),
                  let adapter = HexText.parse(queue[queue.startIndex..<dot], maxDigits: 2), adapter == card,
                  let domain = HexText.parse(queue[(dot + 1)...], maxDigits: 4), domain <= 0xff
            else { return nil }
            return .queue(APQN(adapter: UInt8(adapter), domain: UInt8(domain)))
        }
        if hasPrefix(bytes, vfio) {
            let rest = bytes[vfio.utf8CodeUnitCount...]
            if rest.isEmpty { return .matrix }
            guard rest.first == UInt8(ascii: "/") else { return nil }
            let name = rest.dropFirst()
            guard !name.contains(UInt8(ascii: "/")),
                  let uuid = MdevUUID(String(decoding: name, as: UTF8.self))
            else { return nil }
            return .mdev(uuid)
        }
        return nil
    }

    /// The DEVPATH of the device (`/devices/...`, relative to `/sys`).
    public var devpath: String {
        switch self {
        case .busRoot: return "/devices/ap"
        case .card(let id): return "/devices/ap/" + id.cardName
        case .queue(let apqn): return "/devices/ap/" + apqn.adapter.cardName + "/" + apqn.description
        case .matrix: return "/devices/vfio_ap/matrix"
        case .mdev(let uuid): return "/devices/vfio_ap/matrix/" + uuid.description
        }
    }
}
