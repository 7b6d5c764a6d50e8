import APModel
import APTestSupport

/// Hand-picked and seeded random host snapshots for reader tests.
enum SnapshotSamples {
    static let uuid1 = MdevUUID("0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60")!
    static let uuid2 = MdevUUID("7f3c0d1e-2a4b-4c5d-8e6f-9a0b1c2d3e4f")!

    /// Two cards; adapter 5 given to vfio_ap with one guest using it, an
    /// idle mdev on adapter 6, and one unbound queue.
    static let typical = HostSnapshot(
        hostConfiguration: APMatrix(
            adapters: APMask([4, 5, 6]), domains: APMask([4, 6, 7, 0xab]), controlDomains: APMask([4, 6, 7, 0xab])
        ),
        apmask: APMask.all.subtracting(APMask([5, 6])), aqmask: .all,
        maxAdapterID: 255, maxDomainID: 255, scans: 17, bindingsCompleteCount: 3,
        cards: [
            HostSnapshot.Card(id: APID(4), hardwareType: 12, driver: "cex4card"),
            HostSnapshot.Card(id: APID(5), hardwareType: 13, driver: "cex4card"),
            HostSnapshot.Card(id: APID(6), hardwareType: 14, driver: "cex4card", configured: false),
        ],
        queues: [
            HostSnapshot.Queue(apqn: APQN(adapter: 4, domain: 6), driver: "cex4queue"),
            HostSnapshot.Queue(apqn: APQN(adapter: 4, domain: 7), driver: nil),
            HostSnapshot.Queue(apqn: APQN(adapter: 5, domain: 4), driver: "vfio_ap"),
            HostSnapshot.Queue(apqn: APQN(adapter: 5, domain: 0xab), driver: "vfio_ap", checkstopped: true),
            HostSnapshot.Queue(apqn: APQN(adapter: 6, domain: 4), driver: "vfio_ap", configured: false),
        ],
        matrixDevice: HostSnapshot.MatrixDevice(features: ["guest_matrix", "hotplug", "ap_config"]),
        mdevs: [
            HostSnapshot.Mdev(
                uuid: uuid1,
                assigned: APMatrix(adapters: APMask([5]), domains: APMask([4, 0xab]), controlDomains: APMask([4, 0xab, 0xf0])),
                guestMatrix: APMatrix(adapters: APMask([5]), domains: APMask([4, 0xab]), controlDomains: APMask([4, 0xab])),
                inUse: true
            ),
            HostSnapshot.Mdev(
                uuid: uuid2,
                assigned: APMatrix(adapters: APMask([6]), domains: APMask([4, 9])),
                guestMatrix: APMatrix(adapters: APMask(), domains: APMask([4])),
                inUse: false
            ),
        ]
    )

    /// A seeded random snapshot that obeys the kernel's invariants the
    /// reader relies on: mdev matrices do not overlap, a guest matrix lies
    /// inside its assignment with the kernel's control domains, and an mdev
    /// is in use only when some vfio_ap queue can show it.
    static func random(seed: UInt64) -> HostSnapshot {
        var random = SeededGenerator(seed: seed)
        var snapshot = HostSnapshot()
        if random.chance(0.8) {
            snapshot.hostConfiguration = APMatrix(
                adapters: random.mask(density: 0.3), domains: random.mask(density: 0.3), controlDomains: random.mask(density: 0.2)
            )
        }
        snapshot.apmask = random.chance(0.3) ? .all : random.mask(density: 0.7)
        snapshot.aqmask = random.chance(0.3) ? .all : random.mask(density: 0.7)
        snapshot.maxAdapterID = random.chance(0.5) ? 255 : 15 + random.int(below: 241)
        snapshot.maxDomainID = random.chance(0.5) ? 255 : 15 + random.int(below: 241)
        snapshot.scans = UInt64(random.int(below: 1000))
        snapshot.bindingsCompleteCount = random.chance(0.5) ? UInt64(random.int(below: 50)) : nil
        for adapter in random.ids(count: random.int(below: 7)) {
            snapshot.cards.append(HostSnapshot.Card(
                id: APID(adapter), hardwareType: 10 + random.int(below: 5),
                driver: random.chance(0.9) ? "cex4card" : nil,
                configured: random.chance(0.8), checkstopped: random.chance(0.1)
            ))
            for domain in random.ids(count: random.int(below: 6)) {
                let drivers: [String?] = [nil, "cex4queue", "vfio_ap", "vfio_ap"]
                snapshot.queues.append(HostSnapshot.Queue(
                    apqn: APQN(adapter: adapter, domain: domain), driver: drivers[random.int(below: drivers.count)],
                    configured: random.chance(0.85), checkstopped: random.chance(0.1)
                ))
            }
        }
        guard random.chance(0.75) else { return snapshot }
        let tokens = ["guest_matrix", "hotplug", "ap_config"]
        snapshot.matrixDevice = HostSnapshot.MatrixDevice(features: random.chance(0.3) ? [] : tokens.filter { _ in random.chance(0.7) })
        let preDynamic = random.chance(0.2)
        var freeAdapters = Set(snapshot.cards.map(\.id.rawValue) + random.ids(count: 3)).sorted()
        var uuids: [MdevUUID] = []
        for _ in 0..<random.int(below: 4) { uuids.append(random.uuid()) }
        for uuid in uuids.sorted() {
            var adapters = APMask()
            for _ in 0..<random.int(below: 3) where !freeAdapters.isEmpty {
                adapters.insert(freeAdapters.remove(at: random.int(below: freeAdapters.count)))
            }
            let queueDomains = snapshot.queues.filter { adapters.contains($0.apqn.adapter.rawValue) }.map(\.apqn.domain.rawValue)
            let domains = APMask(queueDomains.filter { _ in random.chance(0.7) } + random.ids(count: random.int(below: 2)))
            let assigned = APMatrix(adapters: adapters, domains: domains, controlDomains: random.mask(density: 0.02))
            var guest: APMatrix?
            if !preDynamic {
                let hostControl = snapshot.hostConfiguration?.controlDomains
                guest = APMatrix(
                    adapters: APMask(adapters.filter { _ in random.chance(0.6) }),
                    domains: APMask(domains.filter { _ in random.chance(0.8) }),
                    controlDomains: hostControl.map { assigned.controlDomains.intersection($0) } ?? assigned.controlDomains
                )
            }
            let visible = (guest.map { APMatrix(adapters: $0.adapters, domains: $0.domains) } ?? assigned).apqns
            let canShowInUse = visible.contains { apqn in
                snapshot.queues.contains { $0.apqn == apqn && $0.driver == "vfio_ap" }
            }
            snapshot.mdevs.append(HostSnapshot.Mdev(
                uuid: uuid, assigned: assigned, guestMatrix: guest, inUse: canShowInUse && random.chance(0.6)
            ))
        }
        return snapshot
    }
}

/// Drawing helpers for the snapshot generator.
extension SeededGenerator {
    mutating func int(below bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &self) < probability }

    /// `count` distinct ids 0…255, ascending.
    mutating func ids(count: Int) -> [UInt8] {
        var set = Set<UInt8>()
        while set.count < count { set.insert(UInt8.random(in: 0...255, using: &self)) }
        return set.sorted()
    }

    mutating func mask(density: Double) -> APMask {
        var mask = APMask()
        for id in 0...255 where chance(density) { mask.insert(UInt8(id)) }
        return mask
    }

    mutating func uuid() -> MdevUUID {
        let hex = Array("0123456789abcdef")
        var text = ""
        for index in 0..<36 {
            text.append([8, 13, 18, 23].contains(index) ? "-" : hex[int(below: 16)])
        }
        return MdevUUID(text)!
    }
}
