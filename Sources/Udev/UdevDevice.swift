import APModel
internal import CUdev

/// Borrowed access to a `struct udev_device *` that someone else unreferences.
///
/// Every accessor copies into Swift values, so nothing outlives the device.
struct UdevDevice {
    let pointer: OpaquePointer

    /// `udev_device_get_properties_list_entry()`, in libudev's order (sorted by key
    /// in libudev 252). A device from a monitor is sealed: libudev reads neither the
    /// `uevent` file nor the udev database for it, so these are the event's own keys.
    var properties: [Uevent.Property] {
        UdevList(first: udev_device_get_properties_list_entry(pointer)).map {
            Uevent.Property($0.name, $0.value ?? "")
        }
    }

    /// The event carried by a device received from a monitor.
    ///
    /// - Important: Only the property list is used. `udev_device_get_driver()` would
    ///   read the `driver` link *now* and report the new driver on an `unbind` that
    ///   raced with a re-bind (testing-with-umockdev.md §5.5).
    var uevent: Uevent { Uevent(properties: properties) }

    func info(sysattrs selection: UdevSysattrSelection) -> UdevDeviceInfo {
        UdevDeviceInfo(
            syspath: Self.string(udev_device_get_syspath(pointer)) ?? "",
            devpath: Self.string(udev_device_get_devpath(pointer)) ?? "",
            sysname: Self.string(udev_device_get_sysname(pointer)) ?? "",
            subsystem: Self.string(udev_device_get_subsystem(pointer)),
            devtype: Self.string(udev_device_get_devtype(pointer)),
            driver: Self.string(udev_device_get_driver(pointer)),
            properties: properties,
            sysattrs: sysattrs(selection)
        )
    }

    /// `udev_device_get_sysattr_value()`; nil when missing, unreadable or write-only.
    func sysattr(_ name: String) -> String? {
        Self.string(udev_device_get_sysattr_value(pointer, name))
    }

    private func sysattrs(_ selection: UdevSysattrSelection) -> [UdevDeviceInfo.Sysattr] {
        switch selection {
        case .none:
            return []
        case .named(let names):
            return names.compactMap { name in sysattr(name).map { UdevDeviceInfo.Sysattr(name, $0) } }
        case .all:
            let names = UdevList(first: udev_device_get_sysattr_list_entry(pointer)).map(\.name).sorted()
            return names.compactMap { name in sysattr(name).map { UdevDeviceInfo.Sysattr(name, $0) } }
        }
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
