import APModel
import APTestSupport
import Testing
@testable import HotplugEngine

/// The scan rule (``Engine``'s `Engine+Scan.swift`): what card and queue
/// uevents imply about the host AP configuration, and how read-backs correct it.
@Suite struct ScanRuleTests {
    static let a = EngineTests.a
    static let b = EngineTests.b

    func start() -> Engine {
        var engine = Engine()
        _ = engine.handle(.snapshot(EngineTests.documentationHost(), guests: [Self.a: "vm1", Self.b: "vm2"], position: 0))
        return engine
    }

    /// The kernel's removal of a card with its queues (`ap_scan_adapter`).
    static func cardRemoval(_ adapter: UInt8, domains: [UInt8], from seq: UInt64) -> [Uevent] {
        var events: [Uevent] = []
        var seq = seq
        for domain in domains {
            let apqn = APQN(adapter: adapter, domain: domain).description
            events.append(KernelEvent.queue("unbind", apqn, seq: seq))
            events.append(KernelEvent.queue("remove", apqn, seq: seq + 1))
            seq += 2
        }
        events.append(KernelEvent.card("unbind", adapter, seq: seq))
        events.append(KernelEvent.card("remove", adapter, seq: seq + 1))
        return events
    }

    @Test func scanEventsWaitForTheScanToEnd() {
        var engine = start()
        #expect(engine.handle(.uevent(KernelEvent.queue("unbind", "05.0004", seq: 10), position: 1)) == [])
        #expect(engine.hasOpenScan)
        let settled = engine.handle(.settled(position: 2))
        #expect(settled.map(\.kind) == [.unplugAdapter, .blockerUpdated])
        #expect(settled[0].seq == 10)
        #expect(!engine.hasOpenScan)
    }

    @Test func anyOtherEventEndsTheScanFirst() {
        var engine = start()
        _ = engine.handle(.uevent(KernelEvent.queue("unbind", "05.0004", seq: 10), position: 1))
        // The rebind is no part of a scan (the queue was not added in it): the unbind is decided first.
        let rebind = engine.handle(.uevent(KernelEvent.queue("bind", "05.0004", driver: "vfio_ap", seq: 11), position: 2))
        #expect(rebind.map(\.kind) == [.unplugAdapter, .blockerUpdated, .plug, .blockerUpdated])
        #expect(rebind.map(\.seq) == [10, 10, 11, 11])
    }

    @Test func aQueueRemovalWithTheDomainLeftElsewhereIsATapqFailureOfThatQueue() {
        var engine = start()
        _ = engine.handle(.uevent(KernelEvent.queue("unbind", "05.0004", seq: 10), position: 1))
        _ = engine.handle(.uevent(KernelEvent.queue("remove", "05.0004", seq: 11), position: 2))
        let decided = engine.handle(.settled(position: 3))
        #expect(decided.first?.kind == .unplugAdapter)
        #expect(decided.first?.cause == "queue 05.0004 unbound from vfio_ap")
        #expect(engine.host.hostDomains.contains(4))
    }

    @Test func aDomainRemovedOnEveryAdapterLeftTheConfiguration() {
        var engine = start()
        var position: UInt64 = 0
        for (index, apqn) in ["05.00ab", "06.00ab"].enumerated() {
            for action in ["unbind", "remove"] {
                position += 1
                #expect(engine.handle(.uevent(KernelEvent.queue(action, apqn, seq: 20 + UInt64(index * 2) + (action == "remove" ? 1 : 0)), position: position)) == [])
            }
        }
        let decided = engine.handle(.settled(position: position + 1))
        #expect(decided.map(\.kind) == [.unplugDomain, .blockerUpdated])
        #expect(decided[0].seq == 20)
        #expect(decided[0].domains == [APQI(0xab)])
        #expect(decided[0].cause.contains("inferred"))
        #expect(engine.mdevs[Self.a]!.shadow == APMatrix([5, 6], [4]))
        #expect(!engine.host.hostDomains.contains(0xab))
    }

    @Test func aReadBackContradictingAnInferenceIsOneDivergenceAndWins() {
        var engine = start()
        var position: UInt64 = 0
        for event in Self.cardRemoval(6, domains: [4, 0x47, 0xab, 0xff], from: 30) {
            position += 1
            _ = engine.handle(.uevent(event, position: position))
        }
        let inferred = engine.handle(.settled(position: position + 1))
        #expect(inferred.first?.cause == "adapter 06 left the host AP configuration (inferred: card06 removed and not re-created)")
        #expect(!engine.host.hostAdapters.contains(6))
        #expect(engine.inferredConfiguration.adapters == APMask([6]))
        // The card went for want of TAPQ information; QCI still has adapter 06.
        let mask = APMask([5, 6]).sysfsHex + "\n"
        _ = engine.handle(.observed(path: "/sys/bus/ap/ap_adapter_mask", value: mask, position: position + 2))
        let corrected = engine.handle(.settled(position: position + 3))
        #expect(corrected.filter { $0.kind == .divergence }.count == 1)
        #expect(corrected.first?.kind == .divergence)
        #expect(corrected.first?.mdev == nil)
        #expect(corrected.first?.adapters == [APID(6)])
        #expect(engine.host.hostAdapters.contains(6))
        #expect(engine.inferredConfiguration.adapters.isEmpty)
        // Adapter 06 has no queues left: A keeps it out and says so.
        #expect(corrected.contains { $0.kind == .withhold && $0.mdev == Self.a && $0.adapters == [APID(6)] })
        // The same read-back again is no news.
        _ = engine.handle(.observed(path: "/sys/bus/ap/ap_adapter_mask", value: mask, position: position + 4))
        #expect(engine.handle(.settled(position: position + 5)) == [])
    }

    @Test func aReadBackAfterTheEventsIsTheScansOwnAndNeedsNoInference() {
        var engine = start()
        var position: UInt64 = 0
        for event in Self.cardRemoval(6, domains: [4, 0x47, 0xab, 0xff], from: 30) {
            position += 1
            _ = engine.handle(.uevent(event, position: position))
        }
        // QCI still has 06 (no TAPQ answer): the read-back closes the scan, no inference is made.
        _ = engine.handle(.observed(path: "/sys/bus/ap/ap_adapter_mask", value: APMask([5, 6]).sysfsHex + "\n", position: position + 1))
        let decided = engine.handle(.settled(position: position + 2))
        #expect(!decided.contains { $0.kind == .divergence })
        #expect(decided.first?.kind == .unplugAdapter)
        #expect(decided.first?.cause == "queue 06.0004 unbound from vfio_ap")
        #expect(engine.inferredConfiguration.isEmpty)
    }

    @Test func aTypeChangeRecreatesTheCardAndChangesNoConfiguration() {
        var engine = start()
        var position: UInt64 = 0
        var events = Self.cardRemoval(6, domains: [4, 0x47, 0xab, 0xff], from: 30)
        events.append(KernelEvent.card("add", 6, hwtype: 13, seq: 50))
        events.append(KernelEvent.card("bind", 6, driver: "cex4card", hwtype: 13, seq: 51))
        for (index, domain) in ["0004", "0047", "00ab", "00ff"].enumerated() {
            events.append(KernelEvent.queue("add", "06." + domain, seq: 52 + UInt64(index * 2)))
            events.append(KernelEvent.queue("bind", "06." + domain, driver: "vfio_ap", seq: 53 + UInt64(index * 2)))
        }
        var decisions: [Decision] = []
        for event in events {
            position += 1
            decisions += engine.handle(.uevent(event, position: position))
        }
        decisions += engine.handle(.settled(position: position + 1))
        #expect(decisions.map(\.kind) == [.unplugAdapter, .blockerUpdated, .plug, .blockerUpdated])
        #expect(decisions[2].cause == "queue 06.00ab bound to vfio_ap")
        #expect(engine.host.hostAdapters == APMask([5, 6]))
        #expect(engine.inferredConfiguration.isEmpty)
    }

    @Test func aScanWalksAdaptersUpwards() {
        var engine = start()
        _ = engine.handle(.uevent(KernelEvent.queue("unbind", "06.0004", seq: 10), position: 1))
        // Adapter 05 after 06: another scan; the first one is decided now.
        let next = engine.handle(.uevent(KernelEvent.queue("unbind", "05.0047", seq: 11), position: 2))
        #expect(next.first?.kind == .unplugAdapter)
        #expect(next.first?.seq == 10)
        #expect(engine.hasOpenScan)
    }
}
