import APModel
@testable import HotplugEngine

/// The engine fed events decoded from the input, checking after every step the
/// invariants the kernel guarantees: no APQN in two guests, no host-owned APQN
/// in a guest, shadow ⊆ assigned ∩ host configuration, every shadow APQN bound to
/// vfio_ap. The input steers a kernel-plausible sequence on a 4 × 4 host with two
/// mdevs (as Tests/HotplugEngineTests/EngineProperties.swift does with a PRNG), with
/// SEQNUM and COMPLETECOUNT values taken raw from the input, 0 and 2^64-1 included.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(Array(UnsafeBufferPointer(start: data, count: size)))
    var driver = EngineDriver.start
    while !input.isAtEnd && driver.steps < 64 {
        driver.step(&input)
        driver.checkInvariants()
    }
    return 0
}

struct FuzzInput {
    private let bytes: [UInt8]
    private var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    var isAtEnd: Bool { index >= bytes.count }
    mutating func byte() -> UInt8 {
        defer { index += 1 }
        return index < bytes.count ? bytes[index] : 0
    }
    mutating func id() -> UInt8 { byte() & 3 }
    mutating func bool() -> Bool { byte() & 1 == 1 }
    mutating func uint64() -> UInt64 { (0..<8).reduce(0) { value, _ in value << 8 | UInt64(byte()) } }
}

struct EngineDriver {
    /// The host after its snapshot, built once: every input starts from a copy.
    static let start = EngineDriver()

    static let mdevA = MdevUUID("aaaaaaaa-0000-4000-8000-000000000001")!
    static let mdevB = MdevUUID("bbbbbbbb-0000-4000-8000-000000000002")!
    var engine = Engine()
    var seq: UInt64 = 100
    var position: UInt64 = 0
    var apmask = APMask()
    var config = APMatrix(adapters: APMask([0, 1, 2, 3]), domains: APMask([0, 1, 2, 3]), controlDomains: APMask([0, 1, 2, 3]))
    var steps = 0

    init() {
        let ids: [UInt8] = [0, 1, 2, 3]
        let queues = ids.flatMap { a in ids.map { HostSnapshot.Queue(apqn: APQN(adapter: a, domain: $0), driver: "vfio_ap") } }
        let snapshot = HostSnapshot(
            hostConfiguration: config, apmask: APMask(), aqmask: APMask(),
            cards: ids.map { HostSnapshot.Card(id: APID($0), hardwareType: 14, driver: "cex4card") }, queues: queues,
            matrixDevice: HostSnapshot.MatrixDevice(features: ["guest_matrix", "hotplug", "ap_config"]),
            mdevs: [
                HostSnapshot.Mdev(uuid: Self.mdevA, assigned: APMatrix(adapters: APMask([0, 1]), domains: APMask([0, 1]), controlDomains: APMask([0])), guestMatrix: nil),
                HostSnapshot.Mdev(uuid: Self.mdevB, assigned: APMatrix(adapters: APMask([2]), domains: APMask([0, 1, 2, 3]), controlDomains: APMask()), guestMatrix: nil),
            ])
        _ = engine.handle(.snapshot(snapshot, guests: [:], position: 0))
    }

    mutating func feed(_ event: EngineEvent) {
        position += 1
        _ = engine.handle(event)
    }

    mutating func uevent(_ properties: [(String, String)]) {
        feed(.uevent(Uevent(properties: properties.map { Uevent.Property($0.0, $0.1) } + [Uevent.Property("SEQNUM", String(seq))]),
                     position: position))
        seq &+= 1
    }

    mutating func queue(_ action: String, _ apqn: APQN, driver: String? = nil, extra: [(String, String)] = []) {
        var properties = [("ACTION", action), ("DEVPATH", APDevice.queue(apqn).devpath), ("SUBSYSTEM", "ap")] + extra
        properties.append(("DEVTYPE", "ap_queue"))
        if let driver { properties.append(("DRIVER", driver)) }
        uevent(properties)
    }

    mutating func step(_ input: inout FuzzInput) {
        steps += 1
        let apqn = APQN(adapter: input.id(), domain: input.id())
        let slot = engine.host.queue(apqn)
        switch input.byte() % 11 {
        case 0:
            if slot.present && slot.driver == HostModel.vfioDriver { queue("unbind", apqn) }
        case 1:
            if slot.present && slot.driver == HostModel.noDriver {
                queue("bind", apqn, driver: engine.host.isHostOwned(apqn) ? "cex4queue" : "vfio_ap")
            }
        case 2:
            if slot.present {
                if slot.driver != HostModel.noDriver { queue("unbind", apqn) }
                queue("remove", apqn)
            } else if config.adapters.contains(apqn.adapter.rawValue) && config.domains.contains(apqn.domain.rawValue) {
                queue("add", apqn)
                queue("bind", apqn, driver: engine.host.isHostOwned(apqn) ? "cex4queue" : "vfio_ap")
            }
        case 3:
            let candidate = APMatrix(
                adapters: APMask((0...3).filter { _ in input.bool() }.map(UInt8.init)),
                domains: APMask((0...3).filter { _ in input.bool() }.map(UInt8.init)),
                controlDomains: APMask([input.byte() % 6]))
            guard let other = engine.mdevs[Self.mdevB], !candidate.overlaps(other.assigned),
                  !candidate.apqns.contains(where: { engine.host.isHostOwned($0) }) else { return }
            feed(.observed(path: "/sys/devices/vfio_ap/matrix/\(Self.mdevA)/ap_config", value: candidate.apConfigText, position: position))
        case 4:
            let id = input.id()
            let adapters = input.bool()
            if adapters {
                if config.adapters.contains(id) { config.adapters.remove(id) } else { config.adapters.insert(id) }
            } else {
                if config.domains.contains(id) { config.domains.remove(id) } else { config.domains.insert(id) }
            }
            let attribute = adapters ? "ap_adapter_mask" : "ap_usage_domain_mask"
            feed(.observed(path: "/sys/bus/ap/\(attribute)", value: (adapters ? config.adapters : config.domains).sysfsHex + "\n",
                           position: position))
        case 5:
            let id = input.id()
            var newMask = apmask
            if apmask.contains(id) { newMask.remove(id) } else { newMask.insert(id) }
            let gained = newMask.subtracting(apmask)
            // EBUSY: the kernel refuses to reserve APQNs assigned to an mdev.
            if engine.mdevOrder.contains(where: { engine.mdevs[$0]?.assigned.adapters.intersects(gained) == true }) { return }
            for domain in UInt8(0)...3 {
                let rebound = APQN(adapter: id, domain: domain)
                guard engine.host.queue(rebound).present else { continue }
                if engine.host.queue(rebound).driver != HostModel.noDriver { queue("unbind", rebound) }
                queue("bind", rebound, driver: newMask.contains(id) ? "cex4queue" : "vfio_ap")
            }
            apmask = newMask
            uevent([("ACTION", "change"), ("DEVPATH", "/devices/ap"), ("SUBSYSTEM", "ap"), ("APMASK", newMask.sysfsHex + "\n")])
        case 6:
            let uuid = input.bool() ? Self.mdevA : Self.mdevB
            if engine.mdevs[uuid]?.guest.isAttached == true {
                feed(.guestDetached(uuid, name: nil, position: position))
            } else {
                feed(.guestAttached(uuid, name: "vm\(input.byte())", position: position))
            }
        case 7:
            if slot.present { queue("change", apqn, extra: [("CONFIG", input.bool() ? "0" : "1")]) }
        case 8:
            // Counters straight from the input: 0, 2^64-1, back and forth.
            uevent([("ACTION", "change"), ("DEVPATH", "/devices/ap"), ("SUBSYSTEM", "ap"), ("BINDINGS", "complete"),
                    ("COMPLETECOUNT", String(input.uint64()))])
        case 9:
            seq = input.uint64()
        default:
            // A surprise the kernel should not send: the engine must answer with anomalies, not traps,
            // and keep its invariants (no vfio_ap bind of a host-owned queue, which the kernel forbids).
            let actions = ["add", "remove", "bind", "unbind", "change", "move", "online", "offline"]
            let action = actions[Int(input.byte()) % actions.count]
            let driver = action == "bind" && !engine.host.isHostOwned(apqn) ? (input.bool() ? "vfio_ap" : "drv\(input.byte())") : nil
            if action == "bind" && driver == nil { return }
            queue(action, apqn, driver: driver)
        }
    }

    func checkInvariants() {
        var holders: [APQN: MdevUUID] = [:]
        for uuid in engine.mdevOrder {
            guard let record = engine.mdevs[uuid] else { preconditionFailure("mdevOrder names \(uuid), which has no record") }
            let shadow = record.shadow
            precondition(shadow.adapters.isSubset(of: record.assigned.adapters.intersection(engine.host.hostAdapters)),
                         "\(uuid): shadow adapters outside assigned ∩ host")
            precondition(shadow.domains.isSubset(of: record.assigned.domains.intersection(engine.host.hostDomains)),
                         "\(uuid): shadow domains outside assigned ∩ host")
            precondition(shadow.controlDomains.isSubset(of: record.assigned.controlDomains), "\(uuid): control domains outside assigned")
            for apqn in shadow.apqns {
                let slot = engine.host.queue(apqn)
                precondition(slot.present && slot.driver == HostModel.vfioDriver, "\(apqn) in a shadow but not bound to vfio_ap")
                precondition(!engine.host.isHostOwned(apqn), "host-owned \(apqn) in the shadow of \(uuid)")
                precondition(holders.updateValue(uuid, forKey: apqn) == nil, "\(apqn) in two shadows")
            }
        }
    }
}
