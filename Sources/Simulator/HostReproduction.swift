import APModel

/// The operations that bring a fresh ``SimulatedKernel`` to the state a host
/// snapshot shows (`aphotplug what-if` seeds its simulated kernel this way):
/// the LPAR's configuration and maximum ids, the installed cards' types, the
/// boot scan, vfio_ap when the matrix device exists, the masks (the kernel
/// rebinds the queues), queues left without a driver, deconfigured and
/// checkstopped cards (then a scan), the mdevs with their assignments (one
/// `ap_config` write each) and the guests that hold them.
///
/// Every step goes through the simulated kernel's own checks, so a snapshot
/// the kernel could not have produced shows as a refused step; what the
/// snapshot does not say (card modes, queues bound to a driver other than the
/// masks imply) takes the simulator's default.
public enum HostReproduction {
    public static func operations(reproducing snapshot: HostSnapshot, guests: [MdevUUID: String]) -> [Operation] {
        var operations: [Operation] = []
        let configuration = snapshot.hostConfiguration ?? APMatrix(
            adapters: APMask(snapshot.cards.map(\.id.rawValue)),
            domains: APMask(snapshot.queues.map(\.apqn.domain.rawValue)), controlDomains: .all)
        operations.append(.changeHost(HostChange(
            adapters: .set(configuration.adapters), domains: .set(configuration.domains),
            controlDomains: .set(configuration.controlDomains),
            maxAdapterID: UInt8(clamping: snapshot.maxAdapterID), maxDomainID: UInt8(clamping: snapshot.maxDomainID))))
        for card in snapshot.cards {
            operations.append(.installCard(card.id, CardType(rawValue: UInt8(clamping: card.hardwareType)) ?? .cex8, .cca))
        }
        operations.append(.boot)
        if snapshot.matrixDevice != nil { operations.append(.load(.vfioAP)) }
        operations.append(.writeMask(.apmask, snapshot.apmask.sysfsHex))
        operations.append(.writeMask(.aqmask, snapshot.aqmask.sysfsHex))
        for queue in snapshot.queues where queue.driver == nil {
            operations.append(.unbind(device: queue.apqn.description, driver: nil))
        }
        var rescan = false
        for card in snapshot.cards where !card.configured {
            operations.append(.writeCardConfig(card: card.id.cardName, value: "0"))
            rescan = true
        }
        for card in snapshot.cards where card.checkstopped {
            operations.append(.setCheckstop(card.id, true))
            rescan = true
        }
        if rescan { operations.append(.scan) }
        for mdev in snapshot.mdevs {
            operations.append(.createMdev(mdev.uuid.description))
            let assigned = mdev.assigned
            operations.append(.writeMdev(mdev.uuid, .apConfig, [assigned.adapters, assigned.domains, assigned.controlDomains]
                .map(\.sysfsHex).joined(separator: ",")))
            if let name = guests[mdev.uuid] {
                operations.append(.attachGuest(mdev.uuid, guest: name))
            } else if mdev.inUse {
                // One KVM per guest: an unnamed holder gets a name of its own.
                operations.append(.attachGuest(mdev.uuid, guest: "guest-of-\(mdev.uuid)"))
            }
        }
        return operations
    }
}
