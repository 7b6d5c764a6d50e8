import APModel

extension Engine {
    static let migrationRemedy =
        "detach the vfio-ap hostdev (virsh detach-device, or device_del in QEMU) before migrating and "
        + "attach it again on the target, which needs the same APQNs with the same master keys"

    /// Why the guest cannot be live-migrated. libvirt refuses first: its
    /// `qemuMigrationSrcIsAllowedHostdev` (`src/qemu/qemu_migration.c`) fails
    /// any domain with a `<hostdev mode='subsystem' type='mdev'>` ("cannot
    /// migrate a domain with <hostdev mode='subsystem' type='mdev'>") before QEMU
    /// is asked; QEMU's vfio-ap device is unmigratable too (`.unmigratable = 1`,
    /// "State blocked by non-migratable device"). The proposed vfio-ap migration
    /// series (per-mdev `migratable`, matrix feature `migratable`, 2026-03) is
    /// in no released kernel, was turned down in review, and would change
    /// neither refusal, so the blocker does not depend on it.
    func blockerCause(_ record: MdevRecord) -> String {
        let who = record.guest.name.map { "guest \($0)" } ?? "an unnamed guest (queue status 'in use')"
        return "\(who) holds vfio-ap mdev \(record.uuid) and cannot be live-migrated: \(Self.migrationRemedy)"
    }

    /// A guest opened the mdev: one vfio-ap device per guest (the kernel answers
    /// a second one with EPERM), and the guest now blocks live migration.
    ///
    /// An mdev another named guest holds stays with that guest: libvirt calls
    /// `prepare` before it prepares host devices (libvirt `docs/hooks.rst`), so a
    /// second domain naming the mdev reaches the hook and then fails to start.
    /// That is a `conflict`; its `stopped` and `release` change nothing.
    mutating func guestAttached(_ uuid: MdevUUID, name: String, seq: UInt64) -> [Decision] {
        guard var record = mdevs[uuid] else {
            return [anomaly(seq, "guest \(name) attached to mdev \(uuid), which does not exist")]
        }
        if case .named(let holder) = record.guest, holder != name {
            return [Decision(
                seq: seq, kind: .conflict, mdev: uuid, guest: holder, apqns: record.shadow.apqns,
                cause: "guest \(name) names vfio-ap mdev \(uuid), which guest \(holder) holds; the kernel opens an mdev "
                    + "for one guest, so guest \(name) cannot start with it and guest \(holder) keeps it")]
        }
        var decisions: [Decision] = []
        if let other = mdevOrder.first(where: { $0 != uuid && mdevs[known: $0].guest == .named(name) }) {
            decisions.append(anomaly(
                seq, "guest \(name) already holds mdev \(other); the kernel allows one vfio-ap device per guest (EPERM)",
                mdev: uuid))
        }
        if record.guest == .named(name) { return decisions }  // repeated notification: nothing new
        // A hold the kernel showed as 'in use' (an unnamed guest) is now named.
        record.holdSeenInUse = record.guest == .unknown
        record.guest = .named(name)
        mdevs[uuid] = record
        return decisions + raiseBlocker(uuid, seq: seq)
    }

    /// A detach notification from `name` (nil: unnamed). libvirt ends a guest
    /// with `stopped end` and then `release end` (libvirt `docs/hooks.rst`), and
    /// a domain that failed to start ends the same way: a named end of an mdev
    /// no guest holds, or that another guest holds, changes nothing.
    mutating func guestNamedDetach(_ uuid: MdevUUID, name: String?, seq: UInt64) -> [Decision] {
        guard let record = mdevs[uuid] else {
            return [anomaly(seq, "guest detached from mdev \(uuid), which does not exist")]
        }
        guard let name else { return guestDetached(uuid, seq: seq) }
        switch record.guest {
        case .none: return []
        case .named(let holder): return holder == name ? guestDetached(uuid, seq: seq) : []
        case .unknown: return guestDetached(uuid, seq: seq)
        }
    }

    /// The guest released the mdev; the kernel keeps the shadow (guest_matrix).
    /// `because` says how the engine learnt it, when not from the guest's own end.
    mutating func guestDetached(_ uuid: MdevUUID, seq: UInt64, because: String? = nil) -> [Decision] {
        guard var record = mdevs[uuid] else {
            return [anomaly(seq, "guest detached from mdev \(uuid), which does not exist")]
        }
        guard record.guest.isAttached else {
            return [anomaly(seq, "guest detached from mdev \(uuid), which no guest held", mdev: uuid)]
        }
        let name = record.guest.name
        record.guest = .none
        record.holdSeenInUse = false
        let apqns = record.blockerMatrix?.apqns ?? []
        record.blockerMatrix = nil
        mdevs[uuid] = record
        return [Decision(
            seq: seq, kind: .blockerCleared, mdev: uuid, guest: name, apqns: apqns,
            cause: "\(name.map { "guest \($0)" } ?? "the guest") released vfio-ap mdev \(uuid)"
                + (because.map { " (\($0))" } ?? "") + "; it no longer blocks live migration"
        )]
    }

    mutating func raiseBlocker(_ uuid: MdevUUID, seq: UInt64) -> [Decision] {
        guard var record = mdevs[uuid], record.guest.isAttached else { return [] }
        let apqns = record.shadow.apqns
        record.blockerMatrix = record.shadow
        mdevs[uuid] = record
        return [Decision(
            seq: seq, kind: .blockerRaised, mdev: uuid, guest: record.guest.name,
            adapters: record.shadow.adapters.adapterIDs, domains: record.shadow.domains.domainIDs,
            apqns: apqns, cause: blockerCause(record)
        )]
    }

    /// `blocker-updated` when the guest configuration of a migration-blocking
    /// guest changed. It lists the guest's adapters and domains, which span its
    /// APQNs (the configuration is a Cartesian product), and leaves `apqns`
    /// empty: the plug or unplug decision beside it names the APQNs that moved,
    /// so the cost of an event stays independent of the guest's size.
    mutating func blockerUpdate(_ uuid: MdevUUID, seq: UInt64) -> [Decision] {
        guard var record = mdevs[uuid], let reported = record.blockerMatrix, reported != record.shadow else { return [] }
        record.blockerMatrix = record.shadow
        mdevs[uuid] = record
        return [Decision(
            seq: seq, kind: .blockerUpdated, mdev: uuid, guest: record.guest.name,
            adapters: record.shadow.adapters.adapterIDs, domains: record.shadow.domains.domainIDs,
            cause: "\(record.guest.name.map { "guest \($0)" } ?? "the unnamed guest") of vfio-ap mdev \(uuid) now holds "
                + "\(record.shadow.adapters.count * record.shadow.domains.count) APQN(s); it still cannot be live-migrated"
        )]
    }
}
