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
    public init?(devpath: String) {
        var parts = devpath.split(separator: "/", omittingEmptySubsequences: true)[...]
        guard parts.first == "devices" else { return nil }
        parts = parts.dropFirst()
        switch parts.first {
        case "ap":
            switch parts.count {
            case 1:
                self = .busRoot
            case 2:
                guard let id = APID(cardName: parts[parts.startIndex + 1]) else { return nil }
                self = .card(id)
            case 3:
                guard let card = APID(cardName: parts[parts.startIndex + 1]),
                      let apqn = APQN(parts[parts.startIndex + 2]), apqn.adapter == card
                else { return nil }
                self = .queue(apqn)
            default:
                return nil
            }
        case "vfio_ap":
            guard parts.count >= 2, parts[parts.startIndex + 1] == "matrix" else { return nil }
            switch parts.count {
            case 2:
                self = .matrix
            case 3:
                guard let uuid = MdevUUID(parts[parts.startIndex + 2]) else { return nil }
                self = .mdev(uuid)
            default:
                return nil
            }
        default:
            return nil
        }
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
