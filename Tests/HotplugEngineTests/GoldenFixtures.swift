import APModel
import APTestSupport

/// The starting host of each golden case. With `REGENERATE_GOLDEN=1` the
/// golden test writes it as a real sysfs tree under `Tests/Golden/<case>/sysfs`;
/// every other run reads that checked-in tree with the daemon's own reader.
enum GoldenFixtures {
    static let a = MdevUUID("0b5e1c3a-1111-4c4c-8888-000000000001")!
    static let b = MdevUUID("0b5e1c3a-2222-4c4c-8888-000000000002")!

    /// The kernel documentation's two guests on adapters 05,06 and domains
    /// 0004,0047,00ab,00ff: A = 05,06 × 0004,00ab; B = 05 × 0047,00ff.
    static func documentationHost(
        unbound: Set<String> = [], assignedA: APMatrix = APMatrix([5, 6], [4, 0xab]),
        assignedB: APMatrix = APMatrix([5], [0x47, 0xff])
    ) -> HostSnapshot {
        var host = HostSnapshot.passthroughHost(adapters: [5, 6], domains: [4, 0x47, 0xab, 0xff], unbound: unbound)
        var mdevs: [HostSnapshot.Mdev] = []
        for (uuid, assigned) in [(a, assignedA), (b, assignedB)] {
            mdevs.append(.init(uuid: uuid, assigned: assigned, guestMatrix: nil))
        }
        host.mdevs = mdevs
        // guest_matrix as the kernel shows it: the filtered assignment.
        for index in host.mdevs.indices {
            let assigned = host.mdevs[index].assigned
            var adapters = assigned.adapters.intersection(host.hostConfiguration!.adapters)
            let domains = assigned.domains.intersection(host.hostConfiguration!.domains)
            for adapter in adapters {
                for domain in domains where unbound.contains(APQN(adapter: adapter, domain: domain).description) {
                    adapters.remove(adapter)
                }
            }
            host.mdevs[index].guestMatrix = APMatrix(adapters: adapters, domains: domains)
        }
        return host
    }

    static func snapshot(for name: String) -> HostSnapshot {
        switch name {
        case "02-withhold-until-last-queue-bound":
            return documentationHost(unbound: ["05.0047", "05.00ff"])
        case "03-apmask-frees-adapter-then-assign", "18-enforce-mdevctl-definitions":
            var host = documentationHost()
            host.hostConfiguration!.adapters.insert(7)
            // Adapters 05 and 06 were given to vfio_ap earlier (`echo -5,-6 > apmask`).
            host.apmask = APMask.all.subtracting(APMask([5, 6]))
            host.aqmask = .all
            host.cards.append(.init(id: APID(7), hardwareType: 14, driver: "cex4card"))
            host.queues += [4, 0xab].map { .init(apqn: APQN(adapter: 7, domain: $0), driver: "cex4queue") }
            return host
        case "09-assign-domain-with-missing-queue":
            return documentationHost(unbound: ["06.00ab"], assignedA: APMatrix([5, 6], [4]))
        case "10-boot-load-vfio-ap-create-mdev":
            // Booted with ap.aqmask leaving domain 7 to vfio_ap; no QCI data.
            return HostSnapshot(hostConfiguration: nil, aqmask: APMask.all.subtracting(APMask([7])), scans: 0)
        case "15-host-config-adds-assigned-adapter":
            return documentationHost(assignedB: APMatrix([5, 7], [0x47, 0xff]))
        default:
            return documentationHost()
        }
    }
}
