import APModel

/// What the engine holds about one mdev, as a read model with what it keeps
/// out of the guest over the current host: the daemon's metrics and `what-if`
/// render from it (``FinalState`` is what `replay --final-state` and the state
/// file hold).
public struct MdevState: Hashable, Sendable {
    public var uuid: MdevUUID
    /// The name of the guest holding the mdev; nil when none does or its name is unknown.
    public var guest: String?
    public var assigned: APMatrix
    /// The predicted guest configuration (`guest_matrix`, plus control domains).
    public var shadow: APMatrix
    /// Adapters assigned and in the host configuration but kept out of the guest.
    public var withheldAdapters: APMask
    /// The APQNs of the withheld adapters over the assigned domains in the host configuration.
    public var withheldAPQNs: Int
    /// Whether a guest holds the mdev (it cannot be live-migrated).
    public var blocksMigration: Bool
}

extension Engine {
    /// Every mdev's state, in UUID order.
    public var mdevStates: [MdevState] {
        mdevs.records.map { record in
            let withheld = withheldAdapters(of: record)
            return MdevState(
                uuid: record.uuid, guest: record.guest.name, assigned: record.assigned, shadow: record.shadow,
                withheldAdapters: withheld,
                withheldAPQNs: withheld.count * record.assigned.domains.intersection(host.hostDomains).count,
                blocksMigration: record.guest.isAttached)
        }
    }
}
