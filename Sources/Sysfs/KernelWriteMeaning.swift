import Glibc

/// What the kernel means by an errno from a write to one of the AP bus,
/// vfio_ap or mdev attributes (kernel-ap.md §3.1–§3.7 and §7 "Errors to
/// surface"). Keyed by the attribute's file name, and for `bind`/`unbind` by
/// the driver directory it sits in.
enum KernelWriteMeaning {
    /// The meaning, or nil when the attribute or errno has no specific one.
    static func meaning(path: String, errno: Int32) -> String? {
        let components = path.split(separator: "/")
        guard let attribute = components.last else { return nil }
        let parent = components.dropLast().last.map(String.init) ?? ""
        if let specific = attributeMeaning(String(attribute), parent: parent, errno: errno) { return specific }
        switch errno {
        case EACCES, EPERM: return "writing sysfs attributes needs root (CAP_SYS_ADMIN)"
        case ENOENT: return "the attribute does not exist: driver not loaded, device gone, or the kernel is too old for it"
        case EINTR: return "interrupted by a signal while waiting for the AP bus lock; nothing changed, retry"
        default: return nil
        }
    }

    private static func attributeMeaning(_ attribute: String, parent: String, errno: Int32) -> String? {
        switch (attribute, errno) {
        case ("apmask", EBUSY), ("aqmask", EBUSY):
            return "APQNs that would return to the host are assigned to a vfio_ap mediated device; unassign them first (nothing changed)"
        case ("apmask", EINVAL), ("aqmask", EINVAL):
            return "the mask text is malformed (0x<hex> or +N,-N,+N-M terms), or a queue has driver_override set (6.19+); nothing changed"

        case ("assign_adapter", EINVAL), ("assign_domain", EINVAL), ("unassign_adapter", EINVAL),
             ("unassign_domain", EINVAL), ("assign_control_domain", EINVAL), ("unassign_control_domain", EINVAL):
            return "the value is not a number (decimal, 0x hex or leading-0 octal)"
        case ("assign_adapter", ENODEV), ("unassign_adapter", ENODEV):
            return "the adapter number is above ap_max_adapter_id"
        case ("assign_domain", ENODEV), ("unassign_domain", ENODEV),
             ("assign_control_domain", ENODEV), ("unassign_control_domain", ENODEV):
            return "the domain number is above ap_max_domain_id"
        case ("assign_adapter", EADDRNOTAVAIL), ("assign_domain", EADDRNOTAVAIL), ("ap_config", EADDRNOTAVAIL):
            return "an APQN of the resulting matrix is host-owned per apmask/aqmask (pre-6.0 kernels: not bound to vfio_ap)"
        case ("assign_adapter", EADDRINUSE), ("assign_domain", EADDRINUSE), ("ap_config", EADDRINUSE):
            return "an APQN of the resulting matrix is already assigned to another mediated device"
        case ("assign_adapter", EBUSY), ("assign_domain", EBUSY), ("unassign_adapter", EBUSY),
             ("unassign_domain", EBUSY), ("assign_control_domain", EBUSY), ("unassign_control_domain", EBUSY):
            return "the guest using this mdev is running (pre-6.0 kernels), or the matrix lock was contended (some 6.0-era kernels)"
        case ("assign_adapter", EAGAIN), ("assign_domain", EAGAIN), ("unassign_adapter", EAGAIN),
             ("unassign_domain", EAGAIN), ("ap_config", EAGAIN):
            return "the matrix lock was contended (some 6.0-era kernels); retry"

        case ("ap_config", EINVAL):
            return "the value is not three comma-separated masks 0x<hex>,0x<hex>,0x<hex>"
        case ("ap_config", ENODEV):
            return "a mask has a bit above ap_max_adapter_id or ap_max_domain_id"
        case ("ap_config", ENOMEM):
            return "the kernel ran out of memory; nothing changed"

        case ("create", EINVAL):
            return "the value is not a UUID (36 characters, optional newline)"
        case ("create", EEXIST):
            return "a mediated device with this UUID already exists"
        case ("create", EUSERS):
            return "no instances left (available_instances is 0)"
        case ("create", ENODEV):
            return "the matrix device is being unregistered (vfio_ap is unloading)"

        case ("remove", EINVAL):
            return "the value is not a number"
        case ("remove", EBUSY):
            return "the mdev is in use by a guest (pre-6.0 kernels; newer kernels block instead)"

        case ("bind", ENODEV):
            return "no such device, or its ownership forbids this driver: host-owned queues (apmask/aqmask) bind only "
                + "to default drivers such as cex4queue, all others only to vfio_ap"
        case ("bind", EBUSY):
            return "the device is already bound to a driver; unbind it first"
        case ("unbind", ENODEV):
            return "the device is not bound to the driver \(parent)"

        case ("driver_override", EINVAL):
            return "apmask and aqmask are not all ones (6.19+: driver_override and the masks exclude each other)"
        case ("config", EINVAL):
            return "only 0 and 1 are accepted"
        case ("online", ENODEV):
            return "the card or queue is deconfigured or checkstopped"
        case ("online", EINVAL):
            return "the value is not 0 or 1, or a queue cannot go online while its card is offline"
        case ("config_time", EINVAL):
            return "the scan interval must be 5 to 120 seconds"
        case ("ap_domain", EINVAL):
            return "the default domain must be 0 to ap_max_domain_id and set in aqmask"
        case ("poll_timeout", EINVAL):
            return "the poll timeout must be at most 120 seconds (in nanoseconds)"
        default:
            return nil
        }
    }
}
