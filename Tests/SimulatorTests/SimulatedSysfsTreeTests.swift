import APModel
import APTestSupport
import Sysfs
import Testing
@testable import Simulator

/// The tree on disk: kernel formats, relative links, incremental updates.
@Suite struct SimulatedSysfsTreeTests {
    @Test func attributesAndLinksHaveTheKernelsFormats() throws {
        let kernel = try Fixture.run(Fixture.documentationGuests).final.kernel
        try withTemporaryDirectory { root in
            _ = try SimulatedSysfsTree(root: root, kernel: kernel)
            func read(_ path: String) -> String? { readFile(root + "/" + path) }
            func link(_ path: String) -> String? { readLink(root + "/" + path) }
            let ones = String(repeating: "f", count: 62)
            #expect(read("bus/ap/apmask") == "0xf9" + ones + "\n")
            #expect(read("bus/ap/aqmask") == "0xff" + ones + "\n")
            #expect(read("bus/ap/ap_adapter_mask") == "0x0e" + String(repeating: "0", count: 62) + "\n")
            #expect(read("bus/ap/ap_max_adapter_id") == "255\n")
            #expect(read("bus/ap/scans") == "2\n")
            #expect(read("bus/ap/bindings") == "12/12 (complete)\n")
            #expect(read("bus/ap/bindings_complete_count") == "2\n")
            #expect(read("bus/ap/ap_domain") == "4\n")
            #expect(read("devices/ap/uevent") == "SUBSYSTEM=ap\n")
            #expect(link("devices/ap/subsystem") == "../../bus/ap")
            #expect(link("bus/ap/devices/ap") == nil)

            #expect(read("devices/ap/card04/uevent")
                == "SUBSYSTEM=ap\nDEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=000E\nMODALIAS=ap:t0E\nMODE=cca\n")
            #expect(read("devices/ap/card04/hwtype") == "14\n")
            #expect(read("devices/ap/card04/ap_functions") == "0x72000000\n")
            #expect(read("devices/ap/card04/type") == "CEX8C\n")
            #expect(link("devices/ap/card04/driver") == "../../../bus/ap/drivers/cex4card")
            #expect(link("devices/ap/card04/subsystem") == "../../../bus/ap")
            #expect(link("bus/ap/devices/card04") == "../../../devices/ap/card04")
            #expect(link("bus/ap/drivers/cex4card/card04") == "../../../../devices/ap/card04")

            #expect(read("devices/ap/card05/05.0004/uevent") == "SUBSYSTEM=ap\nDEVTYPE=ap_queue\nDRIVER=vfio_ap\nMODE=cca\n")
            #expect(read("devices/ap/card05/05.0004/config") == "1\n")
            #expect(read("devices/ap/card05/05.0004/chkstop") == "0\n")
            #expect(read("devices/ap/card05/05.0004/status") == "in use\n")
            #expect(read("devices/ap/card06/06.0047/status") == "unassigned\n")
            #expect(read("devices/ap/card04/04.0004/status") == nil)
            #expect(link("devices/ap/card05/05.0004/driver") == "../../../../bus/ap/drivers/vfio_ap")
            #expect(link("devices/ap/card05/05.0004/subsystem") == "../../../../bus/ap")
            #expect(link("bus/ap/devices/05.0004") == "../../../devices/ap/card05/05.0004")
            #expect(link("bus/ap/drivers/vfio_ap/05.0004") == "../../../../devices/ap/card05/05.0004")

            let matrix = "devices/vfio_ap/matrix"
            #expect(read(matrix + "/features") == "guest_matrix hotplug ap_config\n")
            #expect(read(matrix + "/uevent") == "SUBSYSTEM=matrix\nDRIVER=vfio_ap\n")
            #expect(link(matrix + "/driver") == "../../../bus/matrix/drivers/vfio_ap")
            let type = matrix + "/mdev_supported_types/vfio_ap-passthrough"
            #expect(read(type + "/name") == "VFIO AP Passthrough Device\n")
            #expect(read(type + "/device_api") == "vfio-ap\n")
            #expect(read(type + "/available_instances") == "65534\n")
            #expect(link(type + "/devices/\(Fixture.mdevA)") == "../../../\(Fixture.mdevA)")

            let mdev = matrix + "/\(Fixture.mdevA)"
            #expect(read(mdev + "/matrix") == "05.0004\n05.00ab\n06.0004\n06.00ab\n")
            #expect(read(mdev + "/guest_matrix") == "05.0004\n05.00ab\n06.0004\n06.00ab\n")
            #expect(read(mdev + "/control_domains") == "")
            #expect(read(mdev + "/ap_config") == "0x06\(String(repeating: "0", count: 62)),0x08\(String(repeating: "0", count: 40))10\(String(repeating: "0", count: 20)),0x\(String(repeating: "0", count: 64))\n")
            #expect(read(mdev + "/uevent") == "SUBSYSTEM=mdev\nDRIVER=vfio_ap_mdev\n")
            #expect(link(mdev + "/mdev_type") == "../mdev_supported_types/vfio_ap-passthrough")
            #expect(link(mdev + "/driver") == "../../../../bus/mdev/drivers/vfio_ap_mdev")
            #expect(link("bus/mdev/devices/\(Fixture.mdevA)") == "../../../devices/vfio_ap/matrix/\(Fixture.mdevA)")
            #expect(link("class/mdev_bus/matrix") == "../../devices/vfio_ap/matrix")
            #expect(treeListing(root)[mdev + "/assign_adapter"] == "f200:")
        }
    }

    @Test func theSnapshotReaderSeesWhatTheKernelHas() throws {
        let kernel = try Fixture.run(Fixture.documentationGuests + "\nconfig card06 0\nscan\nguest detach \(Fixture.mdevB)")
            .final.kernel
        try withTemporaryDirectory { root in
            _ = try SimulatedSysfsTree(root: root, kernel: kernel)
            let snapshot = try SnapshotReader(tree: DirectorySysfsTree(root: root)).read()
            #expect(snapshot.apmask == kernel.apmask)
            #expect(snapshot.hostConfiguration == kernel.configuration.masks)
            #expect(snapshot.scans == kernel.scans)
            #expect(snapshot.bindingsCompleteCount == kernel.bindingsCompleteCount)
            #expect(snapshot.cards.map(\.id) == kernel.cardIDs)
            #expect(snapshot.cards.map(\.driver) == kernel.cardIDs.map { kernel.card($0)?.driver?.rawValue })
            #expect(snapshot.queues.map(\.apqn) == kernel.queueIDs)
            #expect(snapshot.queues.map(\.driver) == kernel.queueIDs.map { kernel.queue($0)?.driver?.rawValue })
            #expect(snapshot.queues.map(\.configured) == kernel.queueIDs.map { kernel.queue($0)?.configured ?? true })
            #expect(snapshot.matrixDevice?.features == ["guest_matrix", "hotplug", "ap_config"])
            #expect(snapshot.mdevs.map(\.uuid) == [Fixture.mdevA, Fixture.mdevB])
            #expect(snapshot.mdevs.map(\.assigned) == kernel.mdevs.map { $0.assigned })
            #expect(snapshot.mdevs.map { $0.guestMatrix?.adapters } == kernel.mdevs.map { $0.shadow.adapters })
            #expect(snapshot.mdevs.map(\.inUse) == [true, false])
        }
    }

    @Test func theImageHoldsTheSameFilesAndLinks() throws {
        let kernel = try Fixture.run(Fixture.documentationGuests).final.kernel
        try withTemporaryDirectory { root in
            _ = try SimulatedSysfsTree(root: root, kernel: kernel)
            let listing = treeListing(root)
            let image = kernel.sysfsImage
            var expected: [String: String] = [:]
            for (path, content) in image.files { expected[path] = content }
            for (path, target) in image.links { expected[path] = "l:" + target }
            var actual: [String: String] = [:]
            for (path, entry) in listing where entry != "d" && !entry.hasPrefix("f200:") {
                actual[path] = entry.hasPrefix("l:") ? entry : String(entry.drop { $0 != ":" }.dropFirst())
            }
            #expect(actual == expected)
        }
    }

    /// Every operation kind, applied one by one with incremental updates,
    /// ends in exactly the tree a fresh write of the final state gives.
    @Test func incrementalUpdatesMatchAFreshWrite() throws {
        let script = Fixture.documentationGuests + """

            start
            unbind 05.0004
            config card06 0
            scan
            card 04 cex7 ep11
            card 06 checkstop on
            scan
            host adapters +7 domains -0xff,+1
            mdev \(Fixture.mdevB) remove
            mdev \(Fixture.mdevA) assign-domain 1
            bind 05.0004 vfio_ap
            apmask -4
            rmmod zcrypt_cex4
            guest detach \(Fixture.mdevA)
            mdev \(Fixture.mdevA) unassign-adapter 6
            aqmask -0x47
            modprobe zcrypt_cex4
            rmmod vfio_ap
            host adapters -5
            modprobe vfio_ap
            """
        let scenario = try Scenario(parsing: script)
        var simulation = Simulation()
        try withTemporaryDirectory { root in
            var tree = try SimulatedSysfsTree(root: root + "/incremental", kernel: simulation.kernel)
            for step in scenario.steps {
                let result = try simulation.perform(step.operation)
                try tree.update(from: simulation.kernel, touched: result.touched)
                _ = try SimulatedSysfsTree(root: root + "/fresh-\(step.line)", kernel: simulation.kernel)
                let incremental = treeListing(root + "/incremental")
                let fresh = treeListing(root + "/fresh-\(step.line)")
                #expect(incremental == fresh, "after line \(step.line): \(step.text)")
            }
        }
    }
}
