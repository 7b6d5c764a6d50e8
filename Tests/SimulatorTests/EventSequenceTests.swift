import APModel
import Testing
@testable import Simulator

/// The canonical sequences of kernel-ap.md §2.4, key for key.
@Suite struct EventSequenceTests {
    /// (a) Boot with 04.0006 host-owned and 04.0007 not, vfio_ap not loaded;
    /// then `modprobe vfio_ap`.
    @Test func bootThenLoadingVfioAP() throws {
        var kernel = SimulatedKernel()
        try kernel.apply(.changeHost(HostChange(adapters: .set(APMask([4])), domains: .set(APMask([6, 7])))))
        try kernel.apply(.installCard(APID(4), .cex6, .cca))
        try kernel.apply(.writeMask(.aqmask, "-7"))
        _ = kernel.takeOutput()

        #expect(try kernel.summaries(.boot) == [
            "add /devices/ap/card04 SUBSYSTEM=ap DEVTYPE=ap_card DEV_TYPE=000C MODALIAS=ap:t0C MODE=cca",
            "bind /devices/ap/card04 SUBSYSTEM=ap DEVTYPE=ap_card DRIVER=cex4card DEV_TYPE=000C MODALIAS=ap:t0C MODE=cca",
            "add /devices/ap/card04/04.0006 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card04/04.0006 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
            "add /devices/ap/card04/04.0007 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "change /devices/ap SUBSYSTEM=ap INITSCAN=done",
        ])
        #expect(kernel.bindings == (1, 2))
        #expect(kernel.queue(APQN(adapter: 4, domain: 7))?.driver == nil)

        #expect(try kernel.summaries(.load(.vfioAP)) == [
            "add /devices/vfio_ap/matrix SUBSYSTEM=matrix",
            "bind /devices/vfio_ap/matrix SUBSYSTEM=matrix DRIVER=vfio_ap",
            "bind /devices/ap/card04/04.0007 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "change /devices/ap SUBSYSTEM=ap BINDINGS=complete COMPLETECOUNT=1",
            "change /devices/vfio_ap/matrix SUBSYSTEM=matrix MDEV_STATE=registered DRIVER=vfio_ap",
        ])
        #expect(kernel.bindingsCompleteCount == 1)
    }

    /// Every event carries the next SEQNUM, as the last key.
    @Test func seqnumsCountUpAndComeLast() throws {
        var kernel = SimulatedKernel(configuration: HostConfiguration(masks: Fixture.matrix([1, 2], [3])))
        try kernel.apply(.boot)
        try kernel.apply(.load(.vfioAP))
        let events = kernel.takeOutput().compactMap { output -> Uevent? in
            if case .uevent(let event) = output { return event }
            return nil
        }
        #expect(events.map(\.seqnum) == (1...UInt64(events.count)).map { Optional($0) })
        #expect(events.allSatisfy { $0.properties.last?.key == "SEQNUM" })
        #expect(events.allSatisfy { Array($0.properties.prefix(3).map(\.key)) == ["ACTION", "DEVPATH", "SUBSYSTEM"] })
    }

    /// (b) `echo -5 > apmask` with vfio_ap loaded: unbind (no DRIVER), bind
    /// vfio_ap per queue, APMASK last with its newline; BINDINGS only at the
    /// end of the next scan.
    @Test func takingAnAdapterFromTheHost() throws {
        var kernel = SimulatedKernel(configuration: HostConfiguration(masks: Fixture.matrix([4, 5], [4, 0xab])))
        try kernel.apply(.boot)
        try kernel.apply(.load(.vfioAP))
        _ = kernel.takeOutput()

        #expect(try kernel.summaries(.writeMask(.apmask, "-5")) == [
            "unbind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "unbind /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "change /devices/ap SUBSYSTEM=ap APMASK=0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        ])
        #expect(kernel.apmask.sysfsHex == "0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")
        #expect(try kernel.summaries(.scan) == ["change /devices/ap SUBSYSTEM=ap BINDINGS=complete COMPLETECOUNT=2"])
        #expect(try kernel.summaries(.scan) == [])

        // Giving it back is the mirror image.
        #expect(try kernel.summaries(.writeMask(.apmask, "+5")) == [
            "unbind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
            "unbind /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
            "change /devices/ap SUBSYSTEM=ap APMASK=0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        ])
    }

    /// (c) Unbinding a passed-through queue unplugs its whole adapter before
    /// the `unbind`; binding it again plugs it back before the `bind`.
    @Test func manualUnbindAndRebind() throws {
        let run = try Fixture.run(Fixture.documentationGuests + """

            start
            unbind 05.0004
            bind 05.0004 vfio_ap
            """)
        #expect(run.records.eventSummaries == [
            "unbind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
        ])
        // The observation after the unbind shows adapter 5 gone, after the bind back.
        let guestMatrix = "/sys/devices/vfio_ap/matrix/\(Fixture.mdevA)/guest_matrix"
        let observed = run.records.compactMap { record -> String? in
            if case .observe(guestMatrix, let value) = record { return value }
            return nil
        }
        #expect(observed == ["06.0004\n06.00ab\n", "05.0004\n05.00ab\n06.0004\n06.00ab\n"])
    }

    /// (d) Adapter 5 leaves the LPAR: guests lose it first (no event), then
    /// unbind+remove per queue and for the card; no CONFIG. Re-adding:
    /// add/bind card and queues, then one filter plugs it back.
    @Test func adapterLeavesAndReturnsToTheConfiguration() throws {
        let run = try Fixture.run(Fixture.documentationGuests + """

            start
            host adapters -5
            """)
        #expect(run.records.eventSummaries == [
            "unbind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "remove /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "unbind /devices/ap/card05/05.0047 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "remove /devices/ap/card05/05.0047 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "unbind /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "remove /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "unbind /devices/ap/card05/05.00ff SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "remove /devices/ap/card05/05.00ff SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "unbind /devices/ap/card05 SUBSYSTEM=ap DEVTYPE=ap_card DEV_TYPE=000E MODALIAS=ap:t0E MODE=cca",
            "remove /devices/ap/card05 SUBSYSTEM=ap DEVTYPE=ap_card DEV_TYPE=000E MODALIAS=ap:t0E MODE=cca",
        ])
        let kernel = run.final.kernel
        #expect(kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([6], [4, 0xab]))
        #expect(kernel.mdev(Fixture.mdevB)?.shadow == Fixture.matrix([], [0x47, 0xff]))
        #expect(run.records.observations["/sys/bus/ap/ap_adapter_mask"]
            == "0x0a00000000000000000000000000000000000000000000000000000000000000\n")

        var simulation = run.final
        let back = try simulation.perform(.changeHost(HostChange(adapters: .relative("+5"))))
        #expect(back.records.eventSummaries == [
            "add /devices/ap/card05 SUBSYSTEM=ap DEVTYPE=ap_card DEV_TYPE=000E MODALIAS=ap:t0E MODE=cca",
            "bind /devices/ap/card05 SUBSYSTEM=ap DEVTYPE=ap_card DRIVER=cex4card DEV_TYPE=000E MODALIAS=ap:t0E MODE=cca",
            "add /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "add /devices/ap/card05/05.0047 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.0047 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "add /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "add /devices/ap/card05/05.00ff SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card05/05.00ff SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "change /devices/ap SUBSYSTEM=ap BINDINGS=complete COMPLETECOUNT=3",
        ])
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
        #expect(simulation.kernel.mdev(Fixture.mdevB)?.shadow == Fixture.matrix([5], [0x47, 0xff]))
    }

    /// (e) `echo 0 > card05/config`: the card's CONFIG=0 at once, each
    /// queue's at the next scan; nothing is removed and the guests keep it.
    @Test func deconfiguringACard() throws {
        var simulation = try Fixture.run(Fixture.documentationGuests).final
        let write = try simulation.perform(.writeCardConfig(card: "card05", value: "0"))
        #expect(write.records.eventSummaries == [
            "change /devices/ap/card05 SUBSYSTEM=ap CONFIG=0 DEVTYPE=ap_card DRIVER=cex4card DEV_TYPE=000E MODALIAS=ap:t0E MODE=cca",
        ])
        let scan = try simulation.perform(.scan)
        #expect(scan.records.eventSummaries == [
            "change /devices/ap/card05/05.0004 SUBSYSTEM=ap CONFIG=0 DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "change /devices/ap/card05/05.0047 SUBSYSTEM=ap CONFIG=0 DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "change /devices/ap/card05/05.00ab SUBSYSTEM=ap CONFIG=0 DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "change /devices/ap/card05/05.00ff SUBSYSTEM=ap CONFIG=0 DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
        ])
        let kernel = simulation.kernel
        #expect(kernel.card(APID(5))?.configured == false)
        #expect(kernel.queue(APQN(adapter: 5, domain: 4))?.configured == false)
        #expect(kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
        // Closing and reopening resets the queues: adapter 5's answer 03
        // (deconfigured) keeps it passable through the next filters.
        _ = try simulation.perform(.detachGuest(Fixture.mdevA))
        _ = try simulation.perform(.attachGuest(Fixture.mdevA, guest: "vm1"))
        #expect(simulation.kernel.queue(APQN(adapter: 5, domain: 4))?.binding == .vfioAP(resetResponseCode: 3))
        let unbind = try simulation.perform(.unbind(device: "06.0004", driver: nil))
        #expect(unbind.records.eventSummaries.count == 1)
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5], [4, 0xab]))
        _ = try simulation.perform(.bind(device: "06.0004", driver: .vfioAP))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
    }

    /// (f) mdev lifecycle: add, bind vfio_ap_mdev; attribute writes and guest
    /// changes send nothing; remove sends unbind (no DRIVER) and remove.
    @Test func mdevLifecycle() throws {
        let run = try Fixture.run("""
            host adapters 5 domains 4
            modprobe vfio_ap
            apmask -5
            start
            mdev create \(Fixture.mdevA.description.uppercased())
            mdev \(Fixture.mdevA) assign-adapter 5
            mdev \(Fixture.mdevA) assign-domain 4
            guest attach \(Fixture.mdevA) vm1
            guest detach \(Fixture.mdevA)
            mdev \(Fixture.mdevA) remove
            """)
        let path = "/devices/vfio_ap/matrix/\(Fixture.mdevA)"
        #expect(run.records.eventSummaries == [
            "add \(path) SUBSYSTEM=mdev",
            "bind \(path) SUBSYSTEM=mdev DRIVER=vfio_ap_mdev",
            "unbind \(path) SUBSYSTEM=mdev",
            "remove \(path) SUBSYSTEM=mdev",
        ])
        let guests = run.records.compactMap { record -> String? in
            if case .guest(let action, let mdev, let name) = record { return "\(action) \(mdev) \(name)" }
            return nil
        }
        #expect(guests == ["attach \(Fixture.mdevA) vm1", "detach \(Fixture.mdevA) vm1"])
    }

    /// Removing an mdev a guest holds: the guest lets go first, then unbind/remove.
    @Test func removingAnAttachedMdevDetachesItsGuestFirst() throws {
        var simulation = try Fixture.run(Fixture.documentationGuests).final
        let step = try simulation.perform(.removeMdev(Fixture.mdevA))
        guard step.records.count >= 3, case .guest(.detach, Fixture.mdevA, "vm1") = step.records[0] else {
            Issue.record("expected a detach first, got \(step.records)")
            return
        }
        #expect(step.records.eventSummaries == [
            "unbind /devices/vfio_ap/matrix/\(Fixture.mdevA) SUBSYSTEM=mdev",
            "remove /devices/vfio_ap/matrix/\(Fixture.mdevA) SUBSYSTEM=mdev",
        ])
        #expect(simulation.kernel.vfioStatus(APQN(adapter: 6, domain: 4)) == "unassigned")
    }

    /// Unloading vfio_ap: mdevs removed, MDEV_STATE=unregistered, queues
    /// unbound in reverse bind order, then the matrix device goes.
    @Test func unloadingVfioAP() throws {
        var simulation = try Fixture.run("""
            host adapters 5 domains 4,5
            modprobe vfio_ap
            apmask -5
            mdev create \(Fixture.mdevA)
            """).final
        let step = try simulation.perform(.unload(.vfioAP))
        #expect(step.records.eventSummaries == [
            "unbind /devices/vfio_ap/matrix/\(Fixture.mdevA) SUBSYSTEM=mdev",
            "remove /devices/vfio_ap/matrix/\(Fixture.mdevA) SUBSYSTEM=mdev",
            "change /devices/vfio_ap/matrix SUBSYSTEM=matrix MDEV_STATE=unregistered DRIVER=vfio_ap",
            "unbind /devices/ap/card05/05.0005 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "unbind /devices/ap/card05/05.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "unbind /devices/vfio_ap/matrix SUBSYSTEM=matrix",
            "remove /devices/vfio_ap/matrix SUBSYSTEM=matrix",
        ])
        #expect(simulation.kernel.bindings == (0, 2))
    }

    /// Queues are removed in the bus's registration order: a domain added
    /// later sits after the others.
    @Test func removalFollowsRegistrationOrder() throws {
        var simulation = try Fixture.run("""
            host adapters 5 domains 4,7
            boot
            host domains +1
            """).final
        let step = try simulation.perform(.changeHost(HostChange(adapters: .set(APMask()))))
        #expect(step.records.eventSummaries.filter { $0.hasPrefix("remove") }.map { $0.split(separator: " ")[1] } == [
            "/devices/ap/card05/05.0004", "/devices/ap/card05/05.0007", "/devices/ap/card05/05.0001", "/devices/ap/card05",
        ])
    }
}
