import APModel

/// A card device `/sys/devices/ap/cardAA` as the AP bus holds it.
public struct CardDevice: Hashable, Sendable {
    /// `hwtype` and `raw_hwtype` (the simulator has no types above CEX8).
    public internal(set) var type: CardType
    public internal(set) var mode: CardMode
    /// `config`: false after an SCLP deconfigure.
    public internal(set) var configured: Bool
    /// `chkstop`.
    public internal(set) var checkstopped: Bool
    /// `cex4card` while bound, else nil.
    public internal(set) var driver: APDriver?
    /// Position on the bus's device list (registration order).
    var registration: UInt64
    /// Position on its driver's device list (bind order).
    var bindOrder: UInt64 = 0
}

/// A queue device `/sys/devices/ap/cardAA/AA.DDDD` as the AP bus holds it.
public struct QueueDevice: Hashable, Sendable {
    /// `config`, updated by scans (a card's `config` write reaches its queues
    /// only at the next scan).
    public internal(set) var configured: Bool
    /// `chkstop`, updated by scans.
    public internal(set) var checkstopped: Bool
    public internal(set) var binding: QueueBinding
    /// Position on the bus's device list (registration order).
    var registration: UInt64
    /// Position on its driver's device list (bind order).
    var bindOrder: UInt64 = 0

    /// The bound driver, nil when unbound.
    public var driver: APDriver? { binding.driver }
}

/// Which driver holds a queue, with the driver's per-queue data.
public enum QueueBinding: Hashable, Sendable {
    /// No driver (e.g. host-owned while zcrypt is not loaded).
    case unbound
    /// zcrypt's default queue driver.
    case cex4queue
    /// vfio_ap, with the response code of the queue's last reset (0 after
    /// the probe); a code other than 0, 3 or 4 makes the queue non-passable.
    case vfioAP(resetResponseCode: UInt8)

    public var driver: APDriver? {
        switch self {
        case .unbound: return nil
        case .cex4queue: return .cex4queue
        case .vfioAP: return .vfioAP
        }
    }
}

/// A vfio_ap mediated device `/sys/devices/vfio_ap/matrix/<uuid>`.
public struct MediatedDevice: Hashable, Sendable {
    public let uuid: MdevUUID
    /// `matrix` + `control_domains` (also `ap_config`): the administrator's assignment.
    public internal(set) var assigned: APMatrix
    /// The shadow APCB (`guest_matrix` shows its adapters and domains): what
    /// the guest has while attached, and would get on attach. Kept on detach.
    public internal(set) var shadow: APMatrix
    /// The guest that opened the mdev (`m.kvm`), nil when none.
    public internal(set) var guest: String?
    /// `apm_add`/`aqm_add`/`adm_add`: additions to the host configuration
    /// that arrived in the scan in progress, filtered once at its end.
    var pendingAdd: APMatrix = .empty

    init(uuid: MdevUUID) {
        self.uuid = uuid
        self.assigned = .empty
        self.shadow = .empty
    }
}
