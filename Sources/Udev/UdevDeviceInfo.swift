import APModel

/// A copy of what libudev reports about one device: identity, properties and the
/// sysfs attributes that were asked for. It holds no libudev object.
///
/// Built from a `struct udev_device *` by ``UdevContext`` (enumeration and lookups).
public struct UdevDeviceInfo: Hashable, Sendable {
    /// One sysfs attribute: its name relative to the device directory and its value,
    /// trailing newline stripped (as `udev_device_get_sysattr_value()` returns it).
    public struct Sysattr: Hashable, Sendable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `udev_device_get_syspath()`, e.g. `/sys/devices/ap/card04`.
    public var syspath: String
    /// `udev_device_get_devpath()`, the syspath without `/sys`: `/devices/ap/card04`.
    public var devpath: String
    /// `udev_device_get_sysname()`, e.g. `card04`, `04.0006`, a UUID.
    public var sysname: String
    /// `udev_device_get_subsystem()`; nil for a device without a `subsystem` link.
    public var subsystem: String?
    /// `udev_device_get_devtype()`: `ap_card`, `ap_queue`; nil for the AP bus root
    /// `/devices/ap`, the matrix device and mdevs.
    public var devtype: String?
    /// `udev_device_get_driver()`: the bound driver at the time of reading (from the
    /// `driver` link or `DRIVER=`), nil when unbound.
    public var driver: String?
    /// `udev_device_get_properties_list_entry()`, in libudev's order. libudev 252
    /// returns properties sorted by key.
    public var properties: [Uevent.Property]
    /// The attributes selected by ``UdevSysattrSelection``.
    public var sysattrs: [Sysattr]

    public init(
        syspath: String, devpath: String, sysname: String, subsystem: String?, devtype: String?, driver: String?,
        properties: [Uevent.Property], sysattrs: [Sysattr]
    ) {
        self.syspath = syspath
        self.devpath = devpath
        self.sysname = sysname
        self.subsystem = subsystem
        self.devtype = devtype
        self.driver = driver
        self.properties = properties
        self.sysattrs = sysattrs
    }

    /// The value of attribute `name`, if it was read.
    public func sysattr(_ name: String) -> String? {
        sysattrs.first { $0.name == name }?.value
    }
}
