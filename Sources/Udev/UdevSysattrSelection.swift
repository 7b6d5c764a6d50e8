/// Which sysfs attributes to copy when reading a device.
public enum UdevSysattrSelection: Hashable, Sendable {
    /// None: identity and properties only (cheapest; no attribute file is read).
    case none
    /// These attributes, in this order; unreadable or missing ones are left out.
    case named([String])
    /// Every attribute libudev lists (`udev_device_get_sysattr_list_entry()`), sorted by
    /// name; write-only ones (`bind`, `remove`, `assign_adapter`, …) are left out.
    case all
}
