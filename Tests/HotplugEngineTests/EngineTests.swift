import APModel
import APTestSupport
import Testing
@testable import HotplugEngine

/// One step per line: each event and the exact decisions it must cause.
@Suite struct EngineTests {
    static let a = MdevUUID("0b5e1c3a-1111-4c4c-8888-000000000001")!
    static let b = MdevUUID("0b5e1c3a-2222-4c4c-8888-000000000002")!

    /// The kernel documentation's two guests: A = adapters 5,6 × domains 4,0xab;
    /// B = adapter 5 × domains 0x47,0xff; every queue bound to vfio_ap.
    static func documentationHost(unbound: Set<String> = []) -> HostSnapshot {
        .passthroughHost(
            adapters: [5, 6], domains: [4, 0x47, 0xab, 0xff], unbound: unbound,
            mdevs: [
                .init(uuid: a, assigned: APMatrix([5, 6], [4, 0xab]), guestMatrix: APMatrix([5, 6], [4, 0xab])),
                .init(uuid: b, assigned: APMatrix([5], [0x47, 0xff]), guestMatrix: APMatrix([5], [0x47, 0xff])),
            ])
    }

    func start(_ snapshot: HostSnapshot, guests: [MdevUUID: String] = [:]) -> (Engine, [String]) {
        var engine = Engine()
        let decisions = engine.handle(.snapshot(snapshot, guests: guests, position: 0))
        return (engine, decisions.map(\.jsonLine))
    }

    @Test func documentationGuestsStartQuietly() {
        let (engine, decisions) = start(Self.documentationHost())
        #expect(decisions == [])
        #expect(engine.mdevs[Self.a]!.shadow == APMatrix([5, 6], [4, 0xab]))
        #expect(engine.mdevs[Self.b]!.shadow == APMatrix([5], [0x47, 0xff]))
    }

    @Test func unbindUnplugsWholeAdapterOnlyFromItsMdev() {
        var (engine, _) = start(Self.documentationHost(), guests: [Self.a: "vm1"])
        #expect(engine.settling(.uevent(KernelEvent.queue("unbind", "05.0004", seq: 10), position: 1)).map(\.jsonLine) == [
            #"{"seq":10,"kind":"unplug-adapter","mdev":"0b5e1c3a-1111-4c4c-8888-000000000001","guest":"vm1","adapters":["05"],"domains":[],"apqns":["05.0004","05.00ab"],"cause":"queue 05.0004 unbound from vfio_ap"}"#,
            #"{"seq":10,"kind":"blocker-updated","mdev":"0b5e1c3a-1111-4c4c-8888-000000000001","guest":"vm1","adapters":["06"],"domains":["0004","00ab"],"apqns":[],"cause":"guest vm1 of vfio-ap mdev 0b5e1c3a-1111-4c4c-8888-000000000001 now holds 2 APQN(s); it still cannot be live-migrated"}"#,
        ])
        #expect(engine.mdevs[Self.b]!.shadow == APMatrix([5], [0x47, 0xff]))
        let rebind = engine.settling(.uevent(KernelEvent.queue("bind", "05.0004", driver: "vfio_ap", seq: 11), position: 2))
        #expect(rebind.map(\.kind) == [.plug, .blockerUpdated])
        #expect(rebind[0].adapters == [APID(5)])
        #expect(rebind[0].apqns.map(\.description) == ["05.0004", "05.00ab"])
        #expect(rebind[0].cause == "queue 05.0004 bound to vfio_ap")
    }

    @Test func unbindOfAQueueOutsideTheShadowChangesNothing() {
        var (engine, _) = start(Self.documentationHost())
        // 06.0047 belongs to no mdev.
        #expect(engine.settling(.uevent(KernelEvent.queue("unbind", "06.0047", seq: 5), position: 1)) == [])
    }

    @Test func adapterWithheldUntilItsLastQueueIsBound() {
        let snapshot = HostSnapshot.passthroughHost(
            adapters: [5], domains: [4, 0xab], unbound: ["05.00ab"],
            mdevs: [.init(uuid: Self.a, assigned: APMatrix([5], [4, 0xab]), guestMatrix: APMatrix([], [4, 0xab]))])
        var (engine, decisions) = start(snapshot)
        #expect(decisions == [
            #"{"seq":0,"kind":"withhold","mdev":"0b5e1c3a-1111-4c4c-8888-000000000001","guest":null,"adapters":["05"],"domains":[],"apqns":["05.00ab"],"cause":"adapter 05 assigned but kept out of the guest until every listed queue is bound to vfio_ap"}"#,
        ])
        let bound = engine.settling(.uevent(KernelEvent.queue("bind", "05.00ab", driver: "vfio_ap", seq: 7), position: 1))
        #expect(bound.map(\.jsonLine) == [
            #"{"seq":7,"kind":"plug","mdev":"0b5e1c3a-1111-4c4c-8888-000000000001","guest":null,"adapters":["05"],"domains":[],"apqns":["05.0004","05.00ab"],"cause":"queue 05.00ab bound to vfio_ap"}"#,
        ])
    }

    @Test func deconfiguredCardAndQueuesStayInTheGuest() {
        var (engine, _) = start(Self.documentationHost())
        #expect(engine.settling(.uevent(KernelEvent.card("change", 5, driver: "cex4card", extra: ["CONFIG": "0"], seq: 3), position: 1)) == [])
        #expect(engine.settling(.uevent(KernelEvent.queue("change", "05.0004", driver: "vfio_ap", extra: ["CONFIG": "0"], seq: 4), position: 2)) == [])
        #expect(engine.mdevs[Self.a]!.shadow == APMatrix([5, 6], [4, 0xab]))
    }

    @Test func hostConfigurationRemovalOfAnAdapterAndOfADomain() {
        var (engine, _) = start(Self.documentationHost())
        var config = APMatrix([6], [4, 0x47, 0xab, 0xff])
        let adapterGone = engine.settling(.observed(path: "/sys/bus/ap/ap_adapter_mask", value: config.adapters.sysfsHex + "\n", position: 1))
        #expect(adapterGone.map(\.kind) == [.unplugAdapter, .unplugAdapter])
        #expect(adapterGone[0].cause == "adapter 05 removed from the host AP configuration")
        #expect(adapterGone[1].mdev == Self.b)
        config.domains.remove(0xab)
        let domainGone = engine.settling(.observed(path: "/sys/bus/ap/ap_usage_domain_mask", value: config.domains.sysfsHex + "\n", position: 2))
        #expect(domainGone.map(\.jsonLine) == [
            #"{"seq":2,"kind":"unplug-domain","mdev":"0b5e1c3a-1111-4c4c-8888-000000000001","guest":null,"adapters":[],"domains":["00ab"],"apqns":["06.00ab"],"cause":"domain 00ab removed from the host AP configuration"}"#,
        ])
        // The queue removals of the scan find the guests already updated.
        #expect(engine.settling(.uevent(KernelEvent.queue("unbind", "06.00ab", seq: 8), position: 3)) == [])
        #expect(engine.settling(.uevent(KernelEvent.queue("remove", "06.00ab", seq: 9), position: 4)) == [])
        #expect(engine.mdevs[Self.a]!.shadow == APMatrix([6], [4]))
    }

    @Test func assigningADomainWhoseQueueIsMissingUnplugsTheAdapter() {
        let snapshot = HostSnapshot.passthroughHost(
            adapters: [5, 6], domains: [4, 0xab], unbound: ["06.00ab"],
            mdevs: [.init(uuid: Self.a, assigned: APMatrix([5, 6], [4]), guestMatrix: APMatrix([5, 6], [4]))])
        var (engine, decisions) = start(snapshot)
        #expect(decisions == [])
        let assigned = APMatrix([5, 6], [4, 0xab]).matrixText
        let result = engine.handle(.observed(path: "/sys/devices/vfio_ap/matrix/\(Self.a)/matrix", value: assigned, position: 1))
        #expect(result.map(\.kind) == [.unplugAdapter, .plug])
        #expect(result[0].adapters == [APID(6)])
        #expect(result[0].cause == "domain 00ab assigned")
        #expect(result[1].domains == [APQI(0xab)])
        #expect(result[1].apqns.map(\.description) == ["05.00ab"])
    }

    @Test func controlDomainsFollowAssignmentAndHostConfiguration() {
        var (engine, _) = start(.passthroughHost(
            adapters: [5], domains: [4], controlDomains: [4, 0xab],
            mdevs: [.init(uuid: Self.a, assigned: APMatrix([5], [4]), guestMatrix: APMatrix([5], [4]))]))
        let plugged = engine.handle(.observed(
            path: "/sys/devices/vfio_ap/matrix/\(Self.a)/control_domains", value: "0004\n00ab\n00cc\n", position: 1))
        #expect(plugged.map(\.kind) == [.plug])
        #expect(plugged[0].domains == [APQI(4), APQI(0xab)])
        #expect(plugged[0].apqns == [])
        #expect(engine.mdevs[Self.a]!.shadow.controlDomains == APMask([4, 0xab]))
    }

    @Test func guestAttachRaisesAndDetachClearsTheBlocker() {
        var (engine, _) = start(Self.documentationHost())
        let raised = engine.handle(.guestAttached(Self.b, name: "vm2", position: 1))
        #expect(raised.map(\.kind) == [.blockerRaised])
        #expect(raised[0].apqns.map(\.description) == ["05.0047", "05.00ff"])
        #expect(engine.handle(.guestAttached(Self.a, name: "vm2", position: 2)).map(\.kind) == [.anomaly, .blockerRaised])
        let cleared = engine.handle(.guestDetached(Self.b, name: nil, position: 3))
        #expect(cleared.map(\.kind) == [.blockerCleared])
        #expect(cleared[0].guest == "vm2")
        #expect(engine.handle(.guestDetached(Self.b, name: nil, position: 4)).map(\.kind) == [.anomaly])
    }

    @Test func inUseStatusInfersAnUnnamedGuest() {
        var (engine, _) = start(Self.documentationHost())
        let raised = engine.handle(.observed(path: "/sys/devices/ap/card05/05.0047/status", value: "in use\n", position: 1))
        #expect(raised.map(\.kind) == [.blockerRaised])
        #expect(raised[0].guest == nil)
        #expect(raised[0].mdev == Self.b)
        // The probes: one queue of each mdev's guest configuration.
        #expect(engine.guestProbes.map(\.description) == ["05.0004", "05.0047"])
        // 'assigned' for a queue of the guest configuration: the unnamed guest is gone.
        #expect(engine.handle(.observed(path: "/sys/devices/ap/card05/05.00ff/status", value: "assigned\n", position: 2))
            .map(\.kind) == [.blockerCleared])
        // A named guest's hold the kernel never showed 'in use' (libvirt's
        // prepare, before QEMU opens the mdev) is not ended by 'assigned'.
        _ = engine.handle(.guestAttached(Self.a, name: "vm1", position: 3))
        #expect(engine.guestProbes.map(\.description) == ["05.0004", "05.0047"])
        #expect(engine.handle(.observed(path: "/sys/devices/ap/card05/05.0004/status", value: "assigned\n", position: 4)) == [])
    }

    @Test func completeCountGapAsksForAResync() {
        var engine = Engine()
        #expect(engine.handle(.uevent(KernelEvent.busRoot(["BINDINGS": "complete", "COMPLETECOUNT": "1"], seq: 1), position: 0)) == [])
        #expect(engine.handle(.uevent(KernelEvent.busRoot(["BINDINGS": "complete", "COMPLETECOUNT": "2"], seq: 2), position: 1)) == [])
        #expect(engine.handle(.uevent(KernelEvent.busRoot(["BINDINGS": "complete", "COMPLETECOUNT": "5"], seq: 3), position: 2)).map(\.kind) == [.resync])
    }

    @Test func maskEventsKeepTheirTrailingNewlineAndUpdateOwnership() {
        var engine = Engine()
        let mask = APMask.all.applyingWriteOrFail("-5")
        #expect(engine.handle(.uevent(KernelEvent.busRoot(["APMASK": mask.sysfsHex + "\n"], seq: 1), position: 0)) == [])
        #expect(engine.host.apmask == mask)
        #expect(engine.handle(.uevent(KernelEvent.busRoot(["AQMASK": "0xzz\n"], seq: 2), position: 1)).map(\.kind) == [.anomaly])
    }

    @Test func kernelSurprisesBecomeAnomaliesNotTraps() {
        var engine = Engine()
        #expect(engine.settling(.uevent(KernelEvent.queue("remove", "05.0004", seq: 1), position: 0)).map(\.kind) == [.anomaly])
        #expect(engine.settling(.uevent(KernelEvent.queue("unbind", "05.0004", seq: 2), position: 1)).map(\.kind) == [.anomaly])
        #expect(engine.settling(.uevent(KernelEvent.queue("bind", "05.0004", driver: "vfio_ap", seq: 3), position: 2)).map(\.kind) == [.anomaly])
        #expect(engine.host.queue(APQN(adapter: 5, domain: 4)).driver == HostModel.vfioDriver)
        #expect(engine.handle(.uevent(Uevent(["ACTION": "add"]), position: 3)).map(\.cause) == [
            "malformed uevent: ACTION, DEVPATH and SUBSYSTEM are required",
        ])
        #expect(engine.handle(.uevent(Uevent(["ACTION": "add", "DEVPATH": "/devices/ap/bogus", "SUBSYSTEM": "ap"]), position: 4)).map(\.kind) == [.anomaly])
        #expect(engine.handle(.uevent(Uevent(["ACTION": "add", "DEVPATH": "/devices/virtual/vfio/1", "SUBSYSTEM": "vfio"]), position: 5)) == [])
        #expect(engine.handle(.observed(path: "/sys/devices/vfio_ap/matrix/\(Self.a)/matrix", value: "zz.0004\n", position: 6)).map(\.kind) == [.anomaly, .anomaly])
    }

    @Test func divergenceWhenTheKernelDisagrees() {
        var (engine, _) = start(Self.documentationHost())
        let result = engine.handle(.observed(
            path: "/sys/devices/vfio_ap/matrix/\(Self.a)/guest_matrix", value: "06.0004\n06.00ab\n", position: 1))
        #expect(result.map(\.kind) == [.divergence])
        #expect(result[0].adapters == [APID(5)])
        #expect(result[0].apqns.map(\.description) == ["05.0004", "05.00ab"])
    }

    @Test func queueRemoveWithoutUnbindIsAnAnomalyThatStillUnplugs() {
        var (engine, _) = start(Self.documentationHost())
        let result = engine.settling(.uevent(KernelEvent.queue("remove", "06.00ab", seq: 9), position: 1))
        #expect(result.map(\.kind) == [.anomaly, .unplugAdapter])
    }

    @Test func mdevLifecycleWithoutSnapshot() {
        var engine = Engine()
        let uuid = "0B5E1C3A-3333-4C4C-8888-000000000003"
        #expect(engine.handle(.uevent(KernelEvent.mdev("add", uuid, seq: 1), position: 0)) == [])
        #expect(engine.handle(.uevent(KernelEvent.mdev("bind", uuid, seq: 2), position: 1)) == [])
        #expect(engine.mdevOrder.map(\.description) == [uuid.lowercased()])
        #expect(engine.handle(.guestAttached(MdevUUID(uuid)!, name: "vm3", position: 2)).map(\.kind) == [.blockerRaised])
        #expect(engine.handle(.uevent(KernelEvent.mdev("unbind", uuid, seq: 3), position: 3)) == [])
        #expect(engine.handle(.uevent(KernelEvent.mdev("remove", uuid, seq: 4), position: 4)).map(\.kind) == [.blockerCleared])
        #expect(engine.mdevOrder.isEmpty)
    }

    @Test func finalStateListsMdevsInUUIDOrder() {
        let (engine, _) = start(Self.documentationHost(), guests: [Self.a: "vm1"])
        #expect(engine.finalStateJSON == #"{"mdevs":{"0b5e1c3a-1111-4c4c-8888-000000000001":{"guest":"vm1","assigned":{"adapters":["05","06"],"domains":["0004","00ab"],"control_domains":[]},"shadow":{"adapters":["05","06"],"domains":["0004","00ab"],"control_domains":[]},"blocker":true},"0b5e1c3a-2222-4c4c-8888-000000000002":{"guest":null,"assigned":{"adapters":["05"],"domains":["0047","00ff"],"control_domains":[]},"shadow":{"adapters":["05"],"domains":["0047","00ff"],"control_domains":[]},"blocker":false}}}"#)
    }
}

extension APMask {
    func applyingWriteOrFail(_ text: String) -> APMask {
        do { return try applyingWrite(text) } catch { Issue.record("\(error)"); return self }
    }
}
