/// The errno a simulated sysfs write, module operation or VFIO open returns,
/// named as in `<errno.h>`. The kernel changed nothing and sent no uevent.
///
/// Which operation returns which value follows the kernel sources summarised
/// in `kernel-ap.md` §3 (the code wins where documentation disagrees: a
/// sharing conflict is `EADDRINUSE`, not `EBUSY`).
public enum KernelErrno: String, Error, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// `apmask`/`aqmask`: an APQN moving to the host is assigned to an mdev;
    /// driver `bind`: the device already has a driver; a second open of an mdev.
    case EBUSY
    /// Malformed input (mask syntax, numbers, UUIDs, `ap_config`, card `config`).
    case EINVAL
    /// No such device for `bind`/`unbind`, wrong ownership for the driver, an
    /// id above `ap_max_adapter_id`/`ap_max_domain_id`.
    case ENODEV
    /// `assign_*`/`ap_config`: the APQN is assigned to another mdev.
    case EADDRINUSE
    /// `assign_*`/`ap_config`: the APQN is reserved for the host (apmask/aqmask).
    case EADDRNOTAVAIL
    /// `create`: an mdev with that UUID exists.
    case EEXIST
    /// VFIO open: the guest already holds another vfio_ap mdev.
    case EPERM
    /// The sysfs file does not exist (no such card or mdev, driver not loaded),
    /// or `rmmod` of a module that is not loaded.
    case ENOENT
    /// A number too large for `unsigned long` (`kstrtoul`).
    case ERANGE
    /// `create`: no mdev instances left.
    case EUSERS
    /// `rmmod vfio_ap` while a guest holds one of its mdevs (`EWOULDBLOCK`,
    /// which is `EAGAIN` on Linux: "Module vfio_ap is in use").
    case EAGAIN

    /// `strerror` text.
    public var description: String {
        switch self {
        case .EBUSY: return "Device or resource busy"
        case .EINVAL: return "Invalid argument"
        case .ENODEV: return "No such device"
        case .EADDRINUSE: return "Address already in use"
        case .EADDRNOTAVAIL: return "Cannot assign requested address"
        case .EEXIST: return "File exists"
        case .EPERM: return "Operation not permitted"
        case .ENOENT: return "No such file or directory"
        case .ERANGE: return "Numerical result out of range"
        case .EUSERS: return "Too many users"
        case .EAGAIN: return "Resource temporarily unavailable"
        }
    }
}
