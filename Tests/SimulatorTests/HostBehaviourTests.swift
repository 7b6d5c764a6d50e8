import APModel
import Testing
@testable import Simulator

/// AP bus behaviour beyond the canonical sequences: BINDINGS, checkstop,
/// mode switches, zcrypt load and unload, and the benchmark generator.
@Suite struct HostBehaviourTests {
    @Test func bindingsCompleteOnlyOnTheTransitionAndOnlyAfterScansOrDriverLoads() throws {
        var simulation = try Fixture.run(Fixture.documentationGuests).final
        #expect(simulation.kernel.bindingsCompleteCount == 2)
        // A pure unbind never re-arms; the next scan finds an unbound queue: nothing.
        _ = try simulation.perform(.unbind(device: "05.0004", driver: nil))
        #expect(try simulation.perform(.scan).records.eventSummaries == [])
        // The bind re-arms, but BINDINGS waits for the end of the next scan.
        #expect(try simulation.perform(.bind(device: "05.0004", driver: .vfioAP)).records.eventSummaries.count == 1)
        #expect(try simulation.perform(.scan).records.eventSummaries
            == ["change /devices/ap SUBSYSTEM=ap BINDINGS=complete COMPLETECOUNT=3"])
        #expect(try simulation.perform(.scan).records.eventSummaries == [])
        #expect(simulation.kernel.scans == 5)
    }

    @Test func checkstopIsSeenAtTheNextScanWithoutEvents() throws {
        var simulation = try Fixture.run(Fixture.documentationGuests).final
        _ = try simulation.perform(.setCheckstop(APID(6), true))
        #expect(simulation.kernel.card(APID(6))?.checkstopped == false)
        #expect(try simulation.perform(.scan).records.eventSummaries == [])
        #expect(simulation.kernel.card(APID(6))?.checkstopped == true)
        #expect(simulation.kernel.queue(APQN(adapter: 6, domain: 4))?.checkstopped == true)
        // Resets now answer 04, which is passable: the guest keeps adapter 6.
        _ = try simulation.perform(.detachGuest(Fixture.mdevA))
        _ = try simulation.perform(.attachGuest(Fixture.mdevA, guest: "vm1"))
        _ = try simulation.perform(.unbind(device: "05.0004", driver: nil))
        _ = try simulation.perform(.bind(device: "05.0004", driver: .vfioAP))
        #expect(simulation.kernel.queue(APQN(adapter: 6, domain: 4))?.binding == .vfioAP(resetResponseCode: 4))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow.adapters == APMask([5, 6]))
    }

    @Test func aModeSwitchRemovesAndRecreatesTheCard() throws {
        var simulation = try Fixture.run(Fixture.documentationGuests).final
        _ = try simulation.perform(.installCard(APID(6), .cex8, .ep11))
        let scan = try simulation.perform(.scan)
        let summaries = scan.records.eventSummaries
        #expect(summaries.first == "unbind /devices/ap/card06/06.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca")
        #expect(summaries.contains("add /devices/ap/card06 SUBSYSTEM=ap DEVTYPE=ap_card DEV_TYPE=000E MODALIAS=ap:t0E MODE=ep11"))
        #expect(summaries.filter { $0.hasPrefix("remove") }.count == 5)
        #expect(summaries.filter { $0.hasPrefix("add") }.count == 5)
        // The queue removal unplugged adapter 6; the re-added queues were filtered one by one.
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow.adapters == APMask([5, 6]))
        #expect(simulation.kernel.card(APID(6))?.mode == .ep11)
    }

    @Test func zcryptUnloadAndLoad() throws {
        var simulation = try Fixture.run("host adapters 1-2 domains 3")
            .final
        let unload = try simulation.perform(.unload(.zcryptCEX4))
        #expect(unload.records.eventSummaries.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == [
            "unbind /devices/ap/card02/02.0003", "unbind /devices/ap/card01/01.0003",
            "unbind /devices/ap/card02", "unbind /devices/ap/card01",
        ])
        #expect(simulation.kernel.bindings == (0, 2))
        let load = try simulation.perform(.load(.zcryptCEX4))
        #expect(load.records.eventSummaries.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == [
            "bind /devices/ap/card01", "bind /devices/ap/card02",
            "bind /devices/ap/card01/01.0003", "bind /devices/ap/card02/02.0003",
            "change /devices/ap",
        ])
        #expect(load.records.eventSummaries.last == "change /devices/ap SUBSYSTEM=ap BINDINGS=complete COMPLETECOUNT=2")
        // modprobe of a loaded module is a silent success.
        #expect(try simulation.perform(.load(.zcryptCEX4)).records.isEmpty)
    }

    @Test func anAdapterWithoutUsageDomainsHasNoCard() throws {
        let kernel = try Fixture.run("host adapters 1-2 control 3").final.kernel
        #expect(kernel.cardIDs == [])
        #expect(kernel.configuration.masks.adapters == APMask([1, 2]))
    }

    @Test func theBenchmarkFlipHandsEveryQueueToVfioAP() {
        let flip = FullScaleFlip(adapters: 4, domains: 8, mdevs: 2)
        let events = flip.uevents
        #expect(events.count == 2 * 32 + 1)
        #expect(events[0].summary == "unbind /devices/ap/card00/00.0000 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca")
        #expect(events[1].summary == "bind /devices/ap/card00/00.0000 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca")
        #expect(events[63].devpath == "/devices/ap/card03/03.0007")
        #expect(events[64].summary == "change /devices/ap SUBSYSTEM=ap APMASK=0x" + String(repeating: "0", count: 64) + "\n")
        #expect(flip.initial.bindings == (32, 32))
        #expect(flip.final.queueIDs.allSatisfy { flip.final.queue($0)?.driver == .vfioAP })
        #expect(flip.initial.mdevs.map(\.assigned.adapters) == [APMask([0, 1]), APMask([2, 3])])
        #expect(flip.initial.mdevs.map(\.guest) == ["guest0", "guest1"])
        #expect(flip.touched.queues.count == 32)
        #expect(flip.udevadmText.hasPrefix(UdevadmMonitorText.preamble + "KERNEL["))
    }

    @Test func theFullScaleFlipHas131072EventsAndTheMask() {
        let flip = FullScaleFlip()
        #expect(flip.initial.queueIDs.count == 65_536)
        #expect(flip.uevents.count == 131_073)
        #expect(flip.uevents.last?["APMASK"] == "0x" + String(repeating: "0", count: 64) + "\n")
    }
}
