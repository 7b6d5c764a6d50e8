/// The AP bus drivers the simulator knows.
///
/// `cex4card` and `cex4queue` come from the zcrypt module `zcrypt_cex4` and
/// carry `AP_DRIVER_FLAG_DEFAULT`: they may only probe host-owned queues.
/// `vfio_ap` may only probe queues that are not host-owned, and never cards.
public enum APDriver: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case cex4card
    case cex4queue
    case vfioAP = "vfio_ap"

    /// The sysfs name (`/sys/bus/ap/drivers/<name>`).
    public var description: String { rawValue }

    /// `AP_DRIVER_FLAG_DEFAULT`.
    var isDefault: Bool {
        switch self {
        case .cex4card, .cex4queue: return true
        case .vfioAP: return false
        }
    }

    /// Whether the driver's id table matches card devices (else queue devices).
    var bindsCards: Bool {
        switch self {
        case .cex4card: return true
        case .cex4queue, .vfioAP: return false
        }
    }

    /// The module that registers the driver.
    var module: KernelModule {
        switch self {
        case .cex4card, .cex4queue: return .zcryptCEX4
        case .vfioAP: return .vfioAP
        }
    }
}

/// A loadable module the scenario can `modprobe` and `rmmod`.
public enum KernelModule: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// zcrypt's CEX4+ card and queue drivers (`cex4card`, `cex4queue`).
    case zcryptCEX4 = "zcrypt_cex4"
    /// The vfio_ap driver: matrix device, queue driver, mdev type.
    case vfioAP = "vfio_ap"

    public var description: String { rawValue }
}
