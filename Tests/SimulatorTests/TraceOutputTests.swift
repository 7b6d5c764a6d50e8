import APModel
import Sysfs
import Testing
import Trace
@testable import Simulator

/// The trace formats: udevadm text that the Trace reader reads back exactly,
/// observations, and the snapshot image.
@Suite struct TraceOutputTests {
    @Test func udevadmBlocksHaveTheMonitorLayout() {
        let event = Uevent([
            "ACTION": "bind", "DEVPATH": "/devices/ap/card05/05.0004", "SUBSYSTEM": "ap", "DRIVER": "vfio_ap", "SEQNUM": "7",
        ])
        #expect(UdevadmMonitorText.block(event, microseconds: 101_000_020) == """
            KERNEL[101.000020] bind     /devices/ap/card05/05.0004 (ap)
            ACTION=bind
            DEVPATH=/devices/ap/card05/05.0004
            SUBSYSTEM=ap
            DRIVER=vfio_ap
            SEQNUM=7


            """)
    }

    @Test func theTraceReaderReadsEveryEventBackExactly() throws {
        let run = try Fixture.run(Fixture.documentationGuests + """

            start
            apmask -4
            host adapters -6 domains +1
            config card05 0
            scan
            mdev \(Fixture.mdevB) remove
            """)
        let text = UdevadmMonitorText.render(run.records)
        let entries = try UdevadmMonitorReader.read(Array(text.utf8), fileName: "sim.txt")
        let read = entries.compactMap { entry -> Uevent? in
            if case .uevent(let event) = entry.record { return event }
            return nil
        }
        #expect(read == run.records.uevents)
        #expect(read.contains { $0["APMASK"]?.hasSuffix("\n") == true })
    }

    @Test func observationsFollowAssignmentsAndHostChanges() throws {
        var simulation = try Fixture.run(Fixture.documentationGuests).final
        #expect(throws: OperationFailure.kernel(.EADDRNOTAVAIL)) {
            _ = try simulation.perform(.writeMdev(Fixture.mdevB, .assignAdapter, "4"))
        }
        let directory = "/sys/devices/vfio_ap/matrix/\(Fixture.mdevB)/"
        let unassign = try simulation.perform(.writeMdev(Fixture.mdevB, .unassignDomain, "0xff"))
        #expect(unassign.records == [
            .observe(path: directory + "matrix", value: "05.0047\n"),
            .observe(path: directory + "guest_matrix", value: "05.0047\n"),
        ])
        let control = try simulation.perform(.writeMdev(Fixture.mdevB, .assignControlDomain, "0x47"))
        #expect(control.records == [.observe(path: directory + "control_domains", value: "0047\n")])
        let host = try simulation.perform(.changeHost(HostChange(controlDomains: .relative("-0xff"))))
        #expect(host.records == [
            .observe(path: "/sys/bus/ap/ap_control_domain_mask", value: APMask([4, 0x47, 0xab]).sysfsHex + "\n"),
        ])
        let created = try simulation.perform(.createMdev("4b7c1a2e-0000-4000-8000-00000000000c"))
        #expect(created.records.observations.keys.sorted() == [
            "/sys/devices/vfio_ap/matrix/4b7c1a2e-0000-4000-8000-00000000000c/control_domains",
            "/sys/devices/vfio_ap/matrix/4b7c1a2e-0000-4000-8000-00000000000c/guest_matrix",
            "/sys/devices/vfio_ap/matrix/4b7c1a2e-0000-4000-8000-00000000000c/matrix",
        ])
    }

    @Test func theSnapshotImageReadsBackAsTheKernelsState() throws {
        let kernel = try Fixture.run(Fixture.documentationGuests).final.kernel
        let snapshot = try SnapshotReader(tree: MemorySysfsTree(kernel.sysfsImage)).read()
        #expect(snapshot.queues.map(\.apqn) == kernel.queueIDs)
        #expect(snapshot.mdevs.map { $0.guestMatrix?.adapters } == kernel.mdevs.map { $0.shadow.adapters })
        #expect(snapshot.mdevs.map { $0.guestMatrix?.domains } == kernel.mdevs.map { $0.shadow.domains })
        #expect(snapshot.mdevs.map(\.inUse) == [true, true])
    }

    @Test(arguments: [
        ("devices/ap/card04/driver", "bus/ap/drivers/cex4card", "../../../bus/ap/drivers/cex4card"),
        ("bus/ap/drivers/vfio_ap/04.0006", "devices/ap/card04/04.0006", "../../../../devices/ap/card04/04.0006"),
        ("devices/vfio_ap/matrix/u/mdev_type", "devices/vfio_ap/matrix/mdev_supported_types/t", "../mdev_supported_types/t"),
        ("devices/ap/subsystem", "bus/ap", "../../bus/ap"),
        ("devices/apx/link", "devices/ap/card04", "../ap/card04"),
        ("top", "bus/ap", "bus/ap"),
    ])
    func linksAreRelativeThroughTheCommonAncestor(link: String, target: String, expected: String) {
        #expect(SysfsEntry.relativeTarget(from: link, to: target) == expected)
    }
}
