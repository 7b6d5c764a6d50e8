import APModel
import Testing
@testable import Simulator

/// The vfio-ap documentation's guests and what the filter makes of them.
@Suite struct DocumentationGuestsTests {
    let setup: Simulation

    init() throws {
        setup = try Fixture.run(Fixture.documentationGuests).final
    }

    @Test func bothGuestsGetTheirWholeMatrix() {
        let kernel = setup.kernel
        #expect(kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
        #expect(kernel.mdev(Fixture.mdevB)?.shadow == Fixture.matrix([5], [0x47, 0xff]))
        #expect(kernel.mdev(Fixture.mdevA)?.guest == "vm1")
        #expect(kernel.vfioStatus(APQN(adapter: 5, domain: 4)) == "in use")
        #expect(kernel.vfioStatus(APQN(adapter: 6, domain: 0x47)) == "unassigned")
        #expect(kernel.vfioStatus(APQN(adapter: 4, domain: 4)) == nil)
    }

    @Test func unbindingAQueueUnplugsOnlyItsAdapterFromItsGuest() throws {
        var simulation = setup
        _ = try simulation.perform(.unbind(device: "05.00ab", driver: .vfioAP))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([6], [4, 0xab]))
        #expect(simulation.kernel.mdev(Fixture.mdevB)?.shadow == Fixture.matrix([5], [0x47, 0xff]))
        // Still assigned, so re-binding brings it back.
        _ = try simulation.perform(.bind(device: "05.00ab", driver: .vfioAP))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
    }

    @Test func detachKeepsTheShadowAndStatusFollowsTheGuest() throws {
        var simulation = setup
        _ = try simulation.perform(.detachGuest(Fixture.mdevA))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.guest == nil)
        #expect(simulation.kernel.vfioStatus(APQN(adapter: 6, domain: 4)) == "assigned")
        // Filtering goes on while detached: the shadow is what an attach would give.
        _ = try simulation.perform(.unbind(device: "06.0004", driver: nil))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5], [4, 0xab]))
    }

    @Test func assigningADomainWithAnUnboundQueueDropsThatAdapter() throws {
        var simulation = setup
        // Domain 7 joins the LPAR; 06.0007 stays host-owned-free but unbound after an unbind.
        _ = try simulation.perform(.changeHost(HostChange(domains: .relative("+7"))))
        _ = try simulation.perform(.unbind(device: "06.0007", driver: .vfioAP))
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .assignDomain, "7"))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5], [4, 7, 0xab]))
    }

    @Test func aDomainOutsideTheHostIsAssignedButNotInTheGuest() throws {
        var simulation = setup
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .assignDomain, "0x10"))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.assigned == Fixture.matrix([5, 6], [4, 0x10, 0xab]))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
        // When it appears, on_scan_complete plugs it once all its queues are bound.
        let step = try simulation.perform(.changeHost(HostChange(domains: .relative("+0x10"))))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0x10, 0xab]))
        #expect(step.records.eventSummaries.contains(
            "bind /devices/ap/card05/05.0010 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca"
        ))
    }

    @Test func removingADomainFromTheHostUnplugsThatDomain() throws {
        var simulation = setup
        let step = try simulation.perform(.changeHost(HostChange(domains: .relative("-0xab"))))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4]))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.assigned == Fixture.matrix([5, 6], [4, 0xab]))
        #expect(step.records.eventSummaries.filter { $0.hasPrefix("remove") } == [
            "remove /devices/ap/card04/04.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "remove /devices/ap/card05/05.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "remove /devices/ap/card06/06.00ab SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
        ])
        #expect(step.records.observations["/sys/devices/vfio_ap/matrix/\(Fixture.mdevA)/guest_matrix"]
            == "05.0004\n06.0004\n")
    }

    @Test func unassigningADomainUnplugsItOnEveryAdapter() throws {
        var simulation = setup
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .unassignDomain, "0xab"))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4]))
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .unassignAdapter, "5"))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([6], [4]))
        // Unassigning what is not assigned is a silent success.
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .unassignAdapter, "5"))
    }

    @Test func controlDomainsFollowTheHostAndAreNotFiltered() throws {
        var simulation = setup
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .assignControlDomain, "4"))
        _ = try simulation.perform(.writeMdev(Fixture.mdevB, .assignControlDomain, "4"))
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .assignControlDomain, "0x20"))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow.controlDomains == APMask([4]))
        #expect(simulation.kernel.mdev(Fixture.mdevB)?.shadow.controlDomains == APMask([4]))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.assigned.controlDomains == APMask([4, 0x20]))
        let added = try simulation.perform(.changeHost(HostChange(controlDomains: .relative("+0x20"))))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow.controlDomains == APMask([4, 0x20]))
        #expect(added.records.observations["/sys/bus/ap/ap_control_domain_mask"] != nil)
        // Unbinding a queue never touches control domains.
        _ = try simulation.perform(.unbind(device: "05.0004", driver: nil))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow.controlDomains == APMask([4, 0x20]))
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .unassignControlDomain, "4"))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow.controlDomains == APMask([0x20]))
        let step = try simulation.perform(.writeMdev(Fixture.mdevA, .unassignControlDomain, "0x20"))
        #expect(step.records.observations["/sys/devices/vfio_ap/matrix/\(Fixture.mdevA)/control_domains"] == "")
    }

    @Test func apConfigReplacesTheAssignmentAtomically() throws {
        var simulation = setup
        let apm = APMask([6]).sysfsHex
        let aqm = APMask([4]).sysfsHex
        let adm = APMask([4]).sysfsHex
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .apConfig, "\(apm),\(aqm),\(adm)"))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.assigned == Fixture.matrix([6], [4], control: [4]))
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([6], [4], control: [4]))
        // A failing write changes nothing.
        let conflicting = "\(APMask([5, 6]).sysfsHex),\(APMask([0x47]).sysfsHex),\(adm)"
        #expect(throws: OperationFailure.kernel(.EADDRINUSE)) {
            _ = try simulation.perform(.writeMdev(Fixture.mdevA, .apConfig, conflicting))
        }
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.assigned == Fixture.matrix([6], [4], control: [4]))
    }

    @Test func aFailedQueueResetDropsItsAdapterAtTheNextFilter() throws {
        var simulation = setup
        func adapters() -> APMask? { simulation.kernel.mdev(Fixture.mdevA)?.shadow.adapters }
        _ = try simulation.perform(.failQueueReset(APQN(adapter: 6, domain: 0xab), responseCode: 0x05))
        // No filter yet: nothing visible changed. A control-domain filter does not look at queues.
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .assignControlDomain, "4"))
        #expect(adapters() == APMask([5, 6]))
        // The unbind unplugs adapter 5 without filtering: adapter 6 stays for now.
        _ = try simulation.perform(.unbind(device: "05.0004", driver: nil))
        #expect(adapters() == APMask([6]))
        // The bind filters: adapter 6 goes, and its queues are reset.
        _ = try simulation.perform(.bind(device: "05.0004", driver: .vfioAP))
        #expect(adapters() == APMask([5]))
        #expect(simulation.kernel.queue(APQN(adapter: 6, domain: 0xab))?.binding == .vfioAP(resetResponseCode: 0))
        // That reset succeeded, so the next filter plugs adapter 6 again.
        _ = try simulation.perform(.unbind(device: "05.0004", driver: nil))
        _ = try simulation.perform(.bind(device: "05.0004", driver: .vfioAP))
        #expect(adapters() == APMask([5, 6]))
    }
}
