import APModel
import APTestSupport
import Foundation
import Testing

/// The injector's wire format. The hash values are a canary for umockdev/libudev
/// internals (testing-with-umockdev.md §5.13).
@Suite("UeventDatagram: libudev's monitor message")
struct UeventDatagramTests {
    @Test("string_hash32 of a name shorter than 4 bytes is endian-independent")
    func hashOfAp() {
        #expect(UeventDatagram.stringHash32("ap") == 0xf026_bf09)
    }

    @Test("string_hash32 reference values (x86_64)", .enabled(if: 1.littleEndian == 1),
          arguments: [("ap_queue", UInt32(0x704b_18d2)), ("ap_card", 0xad29_a260), ("misc", 0x4b1a_4e75)])
    func referenceHashes(name: String, hash: UInt32) {
        #expect(UeventDatagram.stringHash32(name) == hash)
    }

    @Test("bloom64 sets at most four bits per tag, and nothing without tags")
    func bloom() {
        #expect(UeventDatagram.bloom64(tags: []) == 0)
        let one = UeventDatagram.bloom64(tags: ["systemd"])
        #expect((1...4).contains(one.nonzeroBitCount))
        #expect(UeventDatagram.bloom64(tags: ["systemd", "seat"]) & one == one)
    }

    @Test("header: prefix, big-endian magic, host-order sizes, big-endian hashes, then KEY=VALUE\\0")
    func layout() {
        let event = Uevent([
            "ACTION": "bind", "DEVPATH": "/devices/ap/card04/04.0006", "SUBSYSTEM": "ap", "SEQNUM": "7",
            "DEVTYPE": "ap_queue", "DRIVER": "vfio_ap",
        ])
        let bytes = UeventDatagram.encode(event)
        let payload = "ACTION=bind\0DEVPATH=/devices/ap/card04/04.0006\0SUBSYSTEM=ap\0SEQNUM=7\0DEVTYPE=ap_queue\0DRIVER=vfio_ap\0"
        #expect(Array(bytes[0..<8]) == Array("libudev\0".utf8))
        #expect(Array(bytes[8..<12]) == [0xfe, 0xed, 0xca, 0xfe])
        func host(_ offset: Int) -> UInt32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) } }
        func big(_ offset: Int) -> UInt32 { UInt32(bigEndian: host(offset)) }
        #expect(host(12) == 40)
        #expect(host(16) == 40)
        #expect(host(20) == UInt32(payload.utf8.count))
        #expect(big(24) == UeventDatagram.stringHash32("ap"))
        #expect(big(28) == UeventDatagram.stringHash32("ap_queue"))
        #expect(big(32) == 0 && big(36) == 0)
        #expect(Array(bytes[40...]) == Array(payload.utf8))
    }

    @Test("no DEVTYPE: devtype hash 0; TAGS set the bloom")
    func noDevtypeWithTags() {
        let bytes = UeventDatagram.encode(Uevent([
            "ACTION": "change", "DEVPATH": "/devices/ap", "SUBSYSTEM": "ap", "SEQNUM": "1", "TAGS": ":systemd:",
        ]))
        let devtypeHash = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 28, as: UInt32.self) }
        #expect(devtypeHash == 0)
        let high = UInt64(UInt32(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 32, as: UInt32.self) }))
        let low = UInt64(UInt32(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 36, as: UInt32.self) }))
        #expect(high << 32 | low == UeventDatagram.bloom64(tags: ["systemd"]))
    }
}

@Suite("UmockdevTestbed: the fake tree's layout rules")
struct UmockdevTestbedTests {
    @Test("an added device gets uevent, relative subsystem/bus links; binding adds driver link and DRIVER=, unbinding removes both")
    func addBindUnbind() throws {
        let testbed = try UmockdevTestbed()
        #expect(testbed.root.utf8.count + "/event65535".utf8.count < 108)
        let devpath = "/devices/ap/card04/04.0008"
        try testbed.addDevice(devpath: devpath, bus: "ap", ueventLines: ["DEVTYPE=ap_queue"], driver: nil)
        let sys = testbed.sysRoot
        #expect(try testbed.readFile("devices/ap/card04/04.0008/uevent") == "SUBSYSTEM=ap\nDEVTYPE=ap_queue\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: sys + "/devices/ap/card04/04.0008/subsystem") == "../../../../bus/ap")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: sys + "/bus/ap/devices/04.0008") == "../../../devices/ap/card04/04.0008")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: sys + "/devices/ap/card04/04.0008/driver")) == nil)

        try testbed.setDriver(of: devpath, to: "vfio_ap")
        #expect(try testbed.readFile("devices/ap/card04/04.0008/uevent") == "SUBSYSTEM=ap\nDEVTYPE=ap_queue\nDRIVER=vfio_ap\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: sys + "/devices/ap/card04/04.0008/driver") == "../../../../bus/ap/drivers/vfio_ap")

        try testbed.setDriver(of: devpath, to: nil)
        #expect(try testbed.readFile("devices/ap/card04/04.0008/uevent") == "SUBSYSTEM=ap\nDEVTYPE=ap_queue\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: sys + "/devices/ap/card04/04.0008/driver")) == nil)
    }

    @Test("the testbed directory is removed on deinit")
    func cleanup() throws {
        var testbed: UmockdevTestbed? = try UmockdevTestbed()
        let root = testbed!.root
        #expect(FileManager.default.fileExists(atPath: root + "/sys"))
        #expect(FileManager.default.fileExists(atPath: root + "/dev"))
        testbed = nil
        #expect(!FileManager.default.fileExists(atPath: root))
    }
}
