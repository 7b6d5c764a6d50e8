import APModel
import Testing
import Udev

/// Enumeration and lookups against the machine's real `/sys` (no root needed):
/// `/dev/null` is `/sys/devices/virtual/mem/null` on every Linux system.
@Suite("UdevContext on the real sysfs")
struct UdevContextTests {
    @Test("enumerating a subsystem returns its devices with properties and named sysattrs")
    func enumerateMem() throws {
        let context = try UdevContext()
        let devices = try context.devices(subsystems: ["mem"], sysattrs: .named(["dev", "no-such-attribute"]))
        let null = try #require(devices.first { $0.sysname == "null" })
        #expect(null.syspath == "/sys/devices/virtual/mem/null")
        #expect(null.devpath == "/devices/virtual/mem/null")
        #expect(null.subsystem == "mem")
        #expect(null.devtype == nil)
        #expect(null.driver == nil)
        #expect(null.sysattrs == [UdevDeviceInfo.Sysattr("dev", "1:3")])
        #expect(null.sysattr("dev") == "1:3")
        let properties = Uevent(properties: null.properties)
        #expect(properties["DEVPATH"] == "/devices/virtual/mem/null")
        #expect(properties["SUBSYSTEM"] == "mem")
        #expect(properties["MAJOR"] == "1")
        #expect(devices.allSatisfy { $0.subsystem == "mem" })
    }

    @Test("all sysattrs: sorted by name, readable ones only")
    func allSysattrs() throws {
        let context = try UdevContext()
        let null = try context.device(syspath: "/sys/devices/virtual/mem/null", sysattrs: .all)
        let names = null.sysattrs.map(\.name)
        #expect(names == names.sorted())
        #expect(names.contains("dev"))
        #expect(names.contains("uevent"))
    }

    @Test("lookup by subsystem and sysname")
    func lookupBySubsystemAndName() throws {
        let context = try UdevContext()
        let null = try context.device(subsystem: "mem", sysname: "null")
        #expect(null.syspath == "/sys/devices/virtual/mem/null")
    }

    @Test("a missing device is a deviceNotFound error naming the C function")
    func missingDevice() throws {
        let context = try UdevContext()
        let error = #expect(throws: UdevError.self) {
            try context.device(syspath: "/sys/devices/aphotplug-no-such-device")
        }
        #expect(error?.code == .deviceNotFound)
        #expect(error?.function == "udev_device_new_from_syspath")
    }

    @Test("no AP subsystem on this machine: enumeration is empty, not an error")
    func enumerateAbsentSubsystems() throws {
        let context = try UdevContext()
        let devices = try context.devices(subsystems: ["aphotplug-no-such-subsystem"])
        #expect(devices.isEmpty)
    }
}
