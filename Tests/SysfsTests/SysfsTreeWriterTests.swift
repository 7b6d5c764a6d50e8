import APModel
import APTestSupport
import Glibc
import Sysfs
import Testing

@Suite struct SysfsTreeWriterTests {
    private func withWritten<Result>(
        _ snapshot: HostSnapshot = SnapshotSamples.typical, _ body: (String, DirectorySysfsTree) throws -> Result
    ) throws -> Result {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(snapshot, to: root)
            return try body(root, try DirectorySysfsTree(root: root))
        }
    }

    /// Where a link really leads, relative to the root ("" when it escapes or dangles).
    private func resolved(_ root: String, _ path: String) -> String {
        guard let real = realpath(root + "/" + path, nil) else { return "" }
        defer { free(real) }
        guard let realRoot = realpath(root, nil) else { return "" }
        defer { free(realRoot) }
        let full = String(cString: real)
        let prefix = String(cString: realRoot) + "/"
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : ""
    }

    @Test func busAttributesInKernelFormats() throws {
        try withWritten { root, tree throws in
            #expect(try tree.readAttribute("bus/ap/apmask")
                == "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n")
            #expect(try tree.readAttribute("bus/ap/ap_adapter_mask")
                == "0x0e00000000000000000000000000000000000000000000000000000000000000\n")
            #expect(try tree.readAttribute("bus/ap/ap_max_domain_id") == "255\n")
            #expect(try tree.readAttribute("bus/ap/scans") == "17\n")
            #expect(try tree.readAttribute("bus/ap/bindings") == "4/5\n")
            #expect(try tree.readAttribute("bus/ap/bindings_complete_count") == "3\n")
            #expect(try tree.readAttribute("bus/ap/ap_domain") == "4\n")
        }
    }

    @Test func bindingsCompleteAndNoQCI() throws {
        var snapshot = SnapshotSamples.typical
        snapshot.queues.removeAll { $0.driver == nil }
        snapshot.hostConfiguration = nil
        snapshot.bindingsCompleteCount = nil
        try withWritten(snapshot) { root, tree throws in
            #expect(try tree.readAttribute("bus/ap/bindings") == "4/4 (complete)\n")
            #expect(try tree.readAttribute("bus/ap/ap_usage_domain_mask") == "not supported\n")
            #expect(try tree.readAttribute("bus/ap/features") == "-\n")
            #expect(!tree.exists("bus/ap/bindings_complete_count"))
        }
    }

    @Test func cardAndQueueDevices() throws {
        try withWritten { root, tree throws in
            #expect(try tree.readAttribute("devices/ap/card05/uevent")
                == "SUBSYSTEM=ap\nDEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=000D\nMODALIAS=ap:t0D\nMODE=cca\n")
            #expect(try tree.readAttribute("devices/ap/card05/hwtype") == "13\n")
            #expect(try tree.readAttribute("devices/ap/card05/type") == "CEX7C\n")
            #expect(try tree.readAttribute("devices/ap/card06/online") == "0\n")
            #expect(try tree.readLink("devices/ap/card05/driver") == "../../../bus/ap/drivers/cex4card")
            #expect(try tree.readLink("devices/ap/card05/subsystem") == "../../../bus/ap")
            #expect(try tree.readAttribute("devices/ap/card05/05.0004/uevent")
                == "SUBSYSTEM=ap\nDEVTYPE=ap_queue\nDRIVER=vfio_ap\nMODE=cca\n")
            #expect(try tree.readAttribute("devices/ap/card04/04.0007/uevent") == "SUBSYSTEM=ap\nDEVTYPE=ap_queue\nMODE=cca\n")
            #expect(try tree.readLink("devices/ap/card05/05.0004/driver") == "../../../../bus/ap/drivers/vfio_ap")
            #expect(try tree.readOptionalLink("devices/ap/card04/04.0007/driver") == nil)
            #expect(try tree.readAttribute("devices/ap/card04/04.0006/online") == "1\n")
            #expect(try tree.readAttribute("devices/ap/card05/05.00ab/chkstop") == "1\n")
            #expect(try tree.readAttribute("devices/ap/card06/06.0004/config") == "0\n")
            #expect(try tree.readAttribute("devices/ap/uevent") == "SUBSYSTEM=ap\n")
            #expect(!tree.exists("bus/ap/devices/ap"))
            #expect(resolved(root, "devices/ap/card05/05.0004/driver") == "bus/ap/drivers/vfio_ap")
            #expect(resolved(root, "devices/ap/card05/subsystem") == "bus/ap")
            #expect(resolved(root, "bus/ap/devices/card05") == "devices/ap/card05")
            #expect(resolved(root, "bus/ap/devices/05.00ab") == "devices/ap/card05/05.00ab")
            #expect(resolved(root, "bus/ap/drivers/vfio_ap/05.0004") == "devices/ap/card05/05.0004")
            #expect(resolved(root, "bus/ap/drivers/cex4queue/04.0006") == "devices/ap/card04/04.0006")
            #expect(tree.exists("bus/ap/drivers/vfio_ap/bind"))
        }
    }

    @Test func queueStatus() throws {
        try withWritten { root, tree throws in
            #expect(try tree.readAttribute("devices/ap/card05/05.0004/status") == "in use\n")
            #expect(try tree.readAttribute("devices/ap/card05/05.00ab/status") == "in use\n")
            #expect(try tree.readAttribute("devices/ap/card06/06.0004/status") == "assigned\n")
            #expect(!tree.exists("devices/ap/card04/04.0006/status"))
        }
        var snapshot = SnapshotSamples.typical
        snapshot.mdevs.removeAll()
        try withWritten(snapshot) { _, tree throws in
            #expect(try tree.readAttribute("devices/ap/card05/05.0004/status") == "unassigned\n")
        }
    }

    @Test func matrixDeviceAndMdevs() throws {
        try withWritten { root, tree throws in
            let uuid = SnapshotSamples.uuid1.description
            let mdev = "devices/vfio_ap/matrix/" + uuid
            #expect(try tree.readAttribute("devices/vfio_ap/matrix/features") == "guest_matrix hotplug ap_config\n")
            #expect(try tree.readAttribute("devices/vfio_ap/matrix/uevent") == "SUBSYSTEM=matrix\nDRIVER=vfio_ap\n")
            #expect(resolved(root, "devices/vfio_ap/matrix/driver") == "bus/matrix/drivers/vfio_ap")
            #expect(resolved(root, "bus/matrix/devices/matrix") == "devices/vfio_ap/matrix")
            #expect(resolved(root, "class/mdev_bus/matrix") == "devices/vfio_ap/matrix")
            let type = "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough"
            #expect(try tree.readAttribute(type + "/available_instances") == "65534\n")
            #expect(try tree.readAttribute(type + "/device_api") == "vfio-ap\n")
            #expect(resolved(root, type + "/devices/" + uuid) == mdev)
            #expect(try tree.readAttribute(mdev + "/uevent") == "SUBSYSTEM=mdev\nDRIVER=vfio_ap_mdev\nMDEV_TYPE=vfio_ap-passthrough\n")
            #expect(try tree.readAttribute(mdev + "/matrix") == "05.0004\n05.00ab\n")
            #expect(try tree.readAttribute(mdev + "/guest_matrix") == "05.0004\n05.00ab\n")
            #expect(try tree.readAttribute(mdev + "/control_domains") == "0004\n00ab\n00f0\n")
            #expect(try tree.readAttribute(mdev + "/ap_config") == SnapshotSamples.typical.mdevs[0].assigned.apConfigText)
            #expect(try tree.readAttribute("devices/vfio_ap/matrix/\(SnapshotSamples.uuid2)/guest_matrix") == ".0004\n")
            #expect(resolved(root, mdev + "/driver") == "bus/mdev/drivers/vfio_ap_mdev")
            #expect(resolved(root, "bus/mdev/devices/" + uuid) == mdev)
            #expect(resolved(root, "bus/mdev/drivers/vfio_ap_mdev/" + uuid) == mdev)
            #expect(resolved(root, mdev + "/mdev_type") == type)
            #expect(tree.exists(mdev + "/assign_adapter"))
            #expect(tree.exists(mdev + "/remove"))
        }
    }

    @Test func noAPConfigWithoutTheFeature() throws {
        var snapshot = SnapshotSamples.typical
        snapshot.matrixDevice = HostSnapshot.MatrixDevice(features: ["guest_matrix", "hotplug"])
        try withWritten(snapshot) { root, tree throws in
            #expect(!tree.exists("devices/vfio_ap/matrix/\(SnapshotSamples.uuid1)/ap_config"))
        }
    }

    @Test func noVfioAPWithoutMatrixDevice() throws {
        var snapshot = SnapshotSamples.typical
        snapshot.matrixDevice = nil
        snapshot.mdevs = []
        snapshot.queues = snapshot.queues.filter { $0.driver != "vfio_ap" }
        try withWritten(snapshot) { root, tree throws in
            #expect(!tree.exists("devices/vfio_ap"))
            #expect(!tree.exists("bus/ap/drivers/vfio_ap"))
            #expect(tree.exists("bus/ap/drivers/cex4queue"))
        }
    }
}
