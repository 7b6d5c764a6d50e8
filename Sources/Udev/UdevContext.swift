internal import CUdev
internal import Glibc

/// A libudev context (`struct udev *`, from `udev_new()`), used to enumerate and
/// look up devices.
///
/// libudev objects must not be used from two threads at once, so this class is not
/// `Sendable`: create one where it is used. Every result is copied into
/// ``UdevDeviceInfo`` values, which are. ``UdevMonitorSequence`` makes its own context.
public final class UdevContext {
    let pointer: OpaquePointer

    /// Wraps `udev_new()`.
    public init() throws(UdevError) {
        guard let pointer = udev_new() else {
            throw UdevError(code: .contextUnavailable, function: "udev_new", errno: Glibc.errno)
        }
        self.pointer = pointer
    }

    deinit { udev_unref(pointer) }

    /// Every device of the given subsystems, in libudev's order (by syspath, parents first).
    ///
    /// Wraps `udev_enumerate_new()`, `udev_enumerate_add_match_subsystem()` per subsystem
    /// and `udev_enumerate_scan_devices()`. For `ap` this includes the bus root
    /// `/devices/ap` (no `DEVTYPE`): systemd ≥ 252 adds matching parents.
    /// A device that disappears between the scan and its lookup is left out
    /// (benign race: its `remove` event is already queued on an armed monitor).
    ///
    /// - Parameters:
    ///   - subsystems: Subsystems to match; empty matches every device.
    ///   - sysattrs: Which attributes to copy for each device.
    public func devices(
        subsystems: [String] = UdevSubsystem.hotplugRelevant, sysattrs: UdevSysattrSelection = .none
    ) throws(UdevError) -> [UdevDeviceInfo] {
        guard let enumerate = udev_enumerate_new(pointer) else {
            throw UdevError(code: .enumerationFailed, function: "udev_enumerate_new", errno: Glibc.errno)
        }
        defer { udev_enumerate_unref(enumerate) }
        for subsystem in subsystems {
            let result = udev_enumerate_add_match_subsystem(enumerate, subsystem)
            guard result >= 0 else {
                throw UdevError(code: .enumerationFailed, function: "udev_enumerate_add_match_subsystem", errno: -result)
            }
        }
        let scanned = udev_enumerate_scan_devices(enumerate)
        guard scanned >= 0 else {
            throw UdevError(code: .enumerationFailed, function: "udev_enumerate_scan_devices", errno: -scanned)
        }
        var devices: [UdevDeviceInfo] = []
        for entry in UdevList(first: udev_enumerate_get_list_entry(enumerate)) {
            guard let device = udev_device_new_from_syspath(pointer, entry.name) else { continue }
            defer { udev_device_unref(device) }
            devices.append(UdevDevice(pointer: device).info(sysattrs: sysattrs))
        }
        return devices
    }

    /// The device at `syspath` (`/sys/devices/ap/card04`); wraps `udev_device_new_from_syspath()`.
    public func device(syspath: String, sysattrs: UdevSysattrSelection = .none) throws(UdevError) -> UdevDeviceInfo {
        guard let device = udev_device_new_from_syspath(pointer, syspath) else {
            throw UdevError(code: .deviceNotFound, function: "udev_device_new_from_syspath", errno: Glibc.errno)
        }
        defer { udev_device_unref(device) }
        return UdevDevice(pointer: device).info(sysattrs: sysattrs)
    }

    /// A device by subsystem and name; wraps `udev_device_new_from_subsystem_sysname()`.
    ///
    /// `device(subsystem: "subsystem", sysname: "ap", sysattrs: .named(["apmask", "aqmask"]))`
    /// reads the AP bus attributes in `/sys/bus/ap`.
    public func device(
        subsystem: String, sysname: String, sysattrs: UdevSysattrSelection = .none
    ) throws(UdevError) -> UdevDeviceInfo {
        guard let device = udev_device_new_from_subsystem_sysname(pointer, subsystem, sysname) else {
            throw UdevError(code: .deviceNotFound, function: "udev_device_new_from_subsystem_sysname", errno: Glibc.errno)
        }
        defer { udev_device_unref(device) }
        return UdevDevice(pointer: device).info(sysattrs: sysattrs)
    }
}
