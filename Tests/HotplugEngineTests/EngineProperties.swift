import APModel
import APTestSupport
import Testing
@testable import HotplugEngine

/// Random, kernel-plausible event sequences on a small host (adapters 0–3,
/// domains 0–3, two mdevs), checking after every step the invariants the
/// kernel guarantees and that the decisions describe the shadow exactly.
@Suite struct EngineProperties {
    static let seeds: [UInt64] = Array(1...200)
    static let mdevA = MdevUUID("aaaaaaaa-0000-4000-8000-000000000001")!
    static let mdevB = MdevUUID("bbbbbbbb-0000-4000-8000-000000000002")!

    /// Runs one random scenario and returns every decision line (for
    /// determinism checks) and every invariant violation found.
    static func run(seed: UInt64, steps: Int = 120) -> (lines: [String], failures: [String]) {
        var failures: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { failures.append("seed \(seed): " + message()) }
        }
        var random = SeededGenerator(seed: seed)
        var engine = Engine()
        var lines: [String] = []
        var seq: UInt64 = 100
        var apmask = APMask()  // nothing host-owned at first
        var config = APMatrix([0, 1, 2, 3], [0, 1, 2, 3], control: [0, 1, 2, 3])
        let snapshot = HostSnapshot.passthroughHost(
            adapters: [0, 1, 2, 3], domains: [0, 1, 2, 3],
            mdevs: [
                .init(uuid: mdevA, assigned: APMatrix([0, 1], [0, 1], control: [0]), guestMatrix: nil),
                .init(uuid: mdevB, assigned: APMatrix([2], [0, 1, 2, 3]), guestMatrix: nil),
            ])
        // What the decisions say each guest holds, replayed from plug/unplug APQN lists.
        var described: [MdevUUID: Set<APQN>] = [:]

        func feed(_ event: EngineEvent) -> [Decision] {
            let decisions = engine.handle(event)
            for decision in decisions {
                lines.append(decision.jsonLine)
                guard let mdev = decision.mdev else { continue }
                switch decision.kind {
                case .plug: described[mdev, default: []].formUnion(decision.apqns)
                case .unplugAdapter, .unplugDomain: described[mdev, default: []].subtract(decision.apqns)
                case .withhold, .assign, .conflict, .blockerRaised, .blockerUpdated,
                     .blockerCleared, .divergence, .resync, .anomaly:
                    break
                }
            }
            return decisions
        }
        func uevent(_ event: Uevent) -> [Decision] {
            seq += 1
            return feed(.uevent(event, position: seq))
        }

        _ = feed(.snapshot(snapshot, guests: [:], position: 0))
        for uuid in [mdevA, mdevB] { described[uuid] = Set(engine.mdevs[uuid]!.shadow.apqns) }

        for _ in 0..<steps {
            // Checks that hold once the step's burst has settled (the engine holds scan events until then).
            var afterSettling: [() -> Void] = []
            let apqn = APQN(adapter: UInt8.random(in: 0...3, using: &random), domain: UInt8.random(in: 0...3, using: &random))
            let slot = engine.host.queue(apqn)
            let before = engine.mdevs.mapValues(\.shadow)
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1:  // unbind a vfio_ap queue
                guard slot.present, slot.driver == HostModel.vfioDriver else { continue }
                _ = uevent(KernelEvent.queue("unbind", apqn.description, seq: seq + 1))
                // Unbinding a shadow queue removes exactly its adapter, never a domain.
                afterSettling.append {
                    for (uuid, old) in before where old.contains(apqn) {
                        var expected = old
                        expected.adapters.remove(apqn.adapter.rawValue)
                        check(engine.mdevs[uuid]!.shadow == expected, "unbind \(apqn) changed more than adapter \(apqn.adapter)")
                    }
                }
            case 2, 3:  // bind an unbound, non-host-owned queue to vfio_ap
                guard slot.present, slot.driver == HostModel.noDriver, !engine.host.isHostOwned(apqn) else { continue }
                _ = uevent(KernelEvent.queue("bind", apqn.description, driver: "vfio_ap", seq: seq + 1))
            case 4:  // the scan removes or re-adds a queue
                if slot.present {
                    if slot.driver != HostModel.noDriver { _ = uevent(KernelEvent.queue("unbind", apqn.description, seq: seq + 1)) }
                    _ = uevent(KernelEvent.queue("remove", apqn.description, seq: seq + 1))
                } else if config.adapters.contains(apqn.adapter.rawValue) && config.domains.contains(apqn.domain.rawValue) {
                    _ = uevent(KernelEvent.queue("add", apqn.description, seq: seq + 1))
                    let driver = engine.host.isHostOwned(apqn) ? "cex4queue" : "vfio_ap"
                    _ = uevent(KernelEvent.queue("bind", apqn.description, driver: driver, seq: seq + 1))
                }
            case 5:  // the admin reassigns mdev A within what B does not hold and the host does not own
                let adapters = APMask((0...3).filter { _ in Bool.random(using: &random) }.map(UInt8.init))
                let domains = APMask((0...3).filter { _ in Bool.random(using: &random) }.map(UInt8.init))
                let candidate = APMatrix(adapters: adapters, domains: domains, controlDomains: APMask([UInt8.random(in: 0...5, using: &random)]))
                guard !candidate.overlaps(engine.mdevs[mdevB]!.assigned),
                      !candidate.apqns.contains(where: { engine.host.isHostOwned($0) }) else { continue }
                seq += 1
                _ = feed(.observed(path: "/sys/devices/vfio_ap/matrix/\(mdevA)/ap_config", value: candidate.apConfigText, position: seq))
            case 6:  // QCI changes: an adapter or a domain leaves or returns
                let id = UInt8.random(in: 0...3, using: &random)
                let adapters = Bool.random(using: &random)
                if adapters {
                    if config.adapters.contains(id) { config.adapters.remove(id) } else { config.adapters.insert(id) }
                } else {
                    if config.domains.contains(id) { config.domains.remove(id) } else { config.domains.insert(id) }
                }
                seq += 1
                let attribute = adapters ? "ap_adapter_mask" : "ap_usage_domain_mask"
                let mask = adapters ? config.adapters : config.domains
                _ = feed(.observed(path: "/sys/bus/ap/\(attribute)", value: mask.sysfsHex + "\n", position: seq))
            case 7:  // apmask: give an adapter back to the host or take it, with the kernel's rebinds first
                let id = UInt8.random(in: 0...3, using: &random)
                var newMask = apmask
                if apmask.contains(id) { newMask.remove(id) } else { newMask.insert(id) }
                let gained = newMask.subtracting(apmask)
                // EBUSY: the kernel refuses to reserve APQNs assigned to an mdev.
                if engine.mdevOrder.contains(where: { engine.mdevs[$0]!.assigned.adapters.intersects(gained) }) { continue }
                for domain in UInt8(0)...3 {
                    let queue = APQN(adapter: id, domain: domain)
                    guard engine.host.queue(queue).present else { continue }
                    if engine.host.queue(queue).driver != HostModel.noDriver {
                        _ = uevent(KernelEvent.queue("unbind", queue.description, seq: seq + 1))
                    }
                    _ = uevent(KernelEvent.queue("bind", queue.description, driver: newMask.contains(id) ? "cex4queue" : "vfio_ap", seq: seq + 1))
                }
                apmask = newMask
                _ = uevent(KernelEvent.busRoot(["APMASK": newMask.sysfsHex + "\n"], seq: seq + 1))
            case 8:  // guests come and go
                let uuid = Bool.random(using: &random) ? mdevA : mdevB
                seq += 1
                if engine.mdevs[uuid]!.guest.isAttached {
                    _ = feed(.guestDetached(uuid, name: nil, position: seq))
                } else {
                    _ = feed(.guestAttached(uuid, name: uuid == mdevA ? "vm-a" : "vm-b", position: seq))
                }
            default:  // deconfigure or reconfigure a queue: never changes a guest
                guard slot.present else { continue }
                _ = uevent(KernelEvent.queue("change", apqn.description, extra: ["CONFIG": Bool.random(using: &random) ? "0" : "1"], seq: seq + 1))
                afterSettling.append { check(engine.mdevs.mapValues(\.shadow) == before, "CONFIG change of \(apqn) moved a shadow") }
            }
            seq += 1
            _ = feed(.settled(position: seq))
            for check in afterSettling { check() }
            failures += violations(engine, described: described).map { "seed \(seed): " + $0 }
        }
        return (lines, failures)
    }

    /// The invariants the kernel guarantees, as messages for each violation.
    static func violations(_ engine: Engine, described: [MdevUUID: Set<APQN>]) -> [String] {
        var found: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition { found.append(message()) }
        }
        var holders: [APQN: MdevUUID] = [:]
        for uuid in engine.mdevOrder {
            let record = engine.mdevs[uuid]!
            let shadow = record.shadow
            // The incremental per-adapter updates agree with a full recomputation.
            // The incremental updates agree with a full filter, except where the
            // kernel only cleared ids (hot unplug): then the shadow is a subset.
            let filtered = engine.filteredShadow(of: record.assigned)
            check(record.shadowIsStale || shadow == filtered, "\(uuid) drifted from the filter")
            check(shadow.adapters.isSubset(of: filtered.adapters) && shadow.domains.isSubset(of: filtered.domains),
                  "\(uuid) holds more than the filter passes")
            // shadow ⊆ assigned ∩ host configuration
            check(shadow.adapters.isSubset(of: record.assigned.adapters.intersection(engine.host.hostAdapters)), "adapters outside assigned ∩ host")
            check(shadow.domains.isSubset(of: record.assigned.domains.intersection(engine.host.hostDomains)), "domains outside assigned ∩ host")
            check(shadow.controlDomains.isSubset(of: record.assigned.controlDomains.intersection(engine.host.hostControlDomains)),
                  "control domains outside assigned ∩ host")
            for apqn in shadow.apqns {
                let slot = engine.host.queue(apqn)
                check(slot.present && slot.driver == HostModel.vfioDriver, "\(apqn) in a shadow but not bound to vfio_ap")
                check(!engine.host.isHostOwned(apqn), "host-owned \(apqn) in a shadow")
                check(holders.updateValue(uuid, forKey: apqn) == nil, "\(apqn) in two shadows")
            }
            // The plug/unplug decisions, replayed, describe the shadow exactly.
            check(described[uuid] ?? [] == Set(shadow.apqns), "decisions disagree with the shadow of \(uuid)")
        }
        return found
    }

    @Test(arguments: seeds)
    func invariantsHoldOnRandomEventSequences(seed: UInt64) {
        let failures = Self.run(seed: seed).failures
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
    }

    @Test func replayIsDeterministic() {
        for seed: UInt64 in [7, 42, 1234] {
            let first = Self.run(seed: seed, steps: 300).lines
            #expect(!first.isEmpty)
            #expect(first == Self.run(seed: seed, steps: 300).lines)
        }
    }
}
