import APModel

extension Engine {
    /// The kernel's filter (kernel-ap.md §4.3) of `assigned` over the current
    /// host: adapters and domains limited to the host configuration, then every
    /// adapter dropped that has an APQN over the usable domains whose queue is
    /// missing, not bound to vfio_ap, or whose last reset failed. Control
    /// domains are only limited by the host configuration.
    func filteredShadow(of assigned: APMatrix) -> APMatrix {
        var adapters = assigned.adapters.intersection(host.hostAdapters)
        let domains = assigned.domains.intersection(host.hostDomains)
        for adapter in adapters where !domains.isSubset(of: host.passable[Int(adapter)]) {
            adapters.remove(adapter)
        }
        return APMatrix(
            adapters: adapters, domains: domains,
            controlDomains: assigned.controlDomains.intersection(host.hostControlDomains)
        )
    }

    /// The shadow of `record` after re-judging only `adapter` (every other
    /// adapter is unchanged because nothing else changed): the per-event path.
    func shadowAfterRejudging(_ adapter: APID, of record: MdevRecord) -> APMatrix {
        var shadow = record.shadow
        let id = adapter.rawValue
        if record.assigned.adapters.contains(id), host.hostAdapters.contains(id),
           shadow.domains.isSubset(of: host.passable[Int(id)]) {
            shadow.adapters.insert(id)
        } else {
            shadow.adapters.remove(id)
        }
        return shadow
    }

    /// The APQNs an adapter of `record` waits for: usable domains whose queue is not passable.
    func missingAPQNs(of adapters: APMask, in record: MdevRecord) -> [APQN] {
        let domains = record.assigned.domains.intersection(host.hostDomains)
        var result: [APQN] = []
        for adapter in adapters {
            for domain in domains.subtracting(host.passable[Int(adapter)]) {
                result.append(APQN(adapter: adapter, domain: domain))
            }
        }
        return result
    }

    /// Adapters assigned and in the host configuration but kept out of the guest.
    func withheldAdapters(of record: MdevRecord) -> APMask {
        record.assigned.adapters.intersection(host.hostAdapters).subtracting(record.shadow.adapters)
    }

    /// Moves `uuid`'s shadow to `newShadow` and returns the decisions that
    /// describe the change: unplug-adapter, unplug-domain, plug, withhold
    /// (adapters newly kept out that were not in the guest before), and
    /// blocker-updated when a guest holds the mdev.
    mutating func moveShadow(
        of uuid: MdevUUID, to newShadow: APMatrix, seq: UInt64, cause: String, reportWithheld: Bool = true,
        withheldBefore knownWithheld: APMask? = nil
    ) -> [Decision] {
        guard var record = mdevs[uuid] else {
            preconditionFailure("moveShadow is only called for mdevs the engine knows.")
        }
        let old = record.shadow
        let withheldBefore = knownWithheld ?? withheldAdapters(of: record)
        record.shadow = newShadow
        mdevs[uuid] = record
        var decisions: [Decision] = []
        let guest = record.guest.name
        func decision(_ kind: Decision.Kind, adapters: APMask = APMask(), domains: APMask = APMask(), apqns: [APQN], cause: String) {
            decisions.append(Decision(
                seq: seq, kind: kind, mdev: uuid, guest: guest,
                adapters: adapters.adapterIDs, domains: domains.domainIDs, apqns: apqns, cause: cause
            ))
        }

        let lostAdapters = old.adapters.subtracting(newShadow.adapters)
        if !lostAdapters.isEmpty {
            decision(.unplugAdapter, adapters: lostAdapters,
                     apqns: APMatrix(adapters: lostAdapters, domains: old.domains).apqns, cause: cause)
        }
        let lostDomains = old.domains.subtracting(newShadow.domains)
        let lostControl = old.controlDomains.subtracting(newShadow.controlDomains)
        if !lostDomains.isEmpty || !lostControl.isEmpty {
            let keptAdapters = old.adapters.intersection(newShadow.adapters)
            decision(.unplugDomain, domains: lostDomains.union(lostControl),
                     apqns: APMatrix(adapters: keptAdapters, domains: lostDomains).apqns,
                     cause: cause)
        }
        let gainedAdapters = newShadow.adapters.subtracting(old.adapters)
        let gainedDomains = newShadow.domains.subtracting(old.domains)
        let gainedControl = newShadow.controlDomains.subtracting(old.controlDomains)
        if !gainedAdapters.isEmpty || !gainedDomains.isEmpty || !gainedControl.isEmpty {
            // New APQNs: the gained adapters on every domain, and the gained
            // domains on the adapters already there (never a scan of the whole shadow).
            let newAPQNs = (APMatrix(adapters: gainedAdapters, domains: newShadow.domains).apqns
                + APMatrix(adapters: newShadow.adapters.subtracting(gainedAdapters), domains: gainedDomains).apqns).sorted()
            decision(.plug, adapters: gainedAdapters, domains: gainedDomains.union(gainedControl), apqns: newAPQNs, cause: cause)
        }
        if reportWithheld {
            decisions += newlyWithheld(uuid, before: withheldBefore, formerShadow: old.adapters, seq: seq)
        }
        decisions += blockerUpdate(uuid, seq: seq)
        return decisions
    }

    /// A `withhold` decision for adapters that are now kept out of the guest
    /// but were neither kept out before nor in the guest (those got an unplug).
    func newlyWithheld(_ uuid: MdevUUID, before: APMask, formerShadow: APMask, seq: UInt64) -> [Decision] {
        let record = mdevs[known: uuid]
        let adapters = withheldAdapters(of: record).subtracting(before).subtracting(formerShadow)
        return adapters.isEmpty ? [] : [withholdDecision(adapters, of: record, seq: seq)]
    }

    func withholdDecision(_ adapters: APMask, of record: MdevRecord, seq: UInt64) -> Decision {
        let missing = missingAPQNs(of: adapters, in: record)
        let names = adapters.map { APID($0).description }.joined(separator: ", ")
        return Decision(
            seq: seq, kind: .withhold, mdev: record.uuid, guest: record.guest.name,
            adapters: adapters.adapterIDs, apqns: missing,
            cause: "adapter \(names) assigned but kept out of the guest until every listed queue is bound to vfio_ap"
        )
    }

    /// The shadow after the kernel only clears ids from it (hot unplug), and
    /// whether that leaves it short of what the filter would pass.
    func clearedShadow(of record: MdevRecord, removing removed: APMatrix) -> (shadow: APMatrix, isStale: Bool) {
        var shadow = record.shadow
        shadow.adapters = shadow.adapters.subtracting(removed.adapters)
        shadow.domains = shadow.domains.subtracting(removed.domains)
        shadow.controlDomains = shadow.controlDomains.subtracting(removed.controlDomains)
        return (shadow, shadow != filteredShadow(of: record.assigned))
    }

    /// Re-filters every mdev in full (snapshots, inferred configuration changes).
    /// `withheldBefore` gives each mdev's withheld adapters before the change
    /// that caused the refilter (host configuration changes move them).
    mutating func refilterAll(seq: UInt64, cause: String, withheldBefore: [MdevUUID: APMask]? = nil) -> [Decision] {
        var decisions: [Decision] = []
        for uuid in mdevOrder {
            let record = mdevs[known: uuid]
            let shadow = filteredShadow(of: record.assigned)
            mdevs[known: uuid].shadowIsStale = false
            let before = withheldBefore?[uuid]
            if shadow != record.shadow {
                decisions += moveShadow(of: uuid, to: shadow, seq: seq, cause: cause, withheldBefore: before)
            } else if let before {
                decisions += newlyWithheld(uuid, before: before, formerShadow: shadow.adapters, seq: seq)
            }
        }
        return decisions
    }

    /// Re-judges one adapter in every mdev that has it assigned (queue and card
    /// events). `filters` says whether the kernel runs `filter_matrix` here (a
    /// queue bound to vfio_ap, §4.5, or a scan that found new devices): then an
    /// mdev whose shadow is stale is filtered in full, as the kernel does; an
    /// unbind or removal only clears (§4.6).
    /// When `boundQueue` is given, only the mdev that has that APQN assigned is
    /// filtered: the kernel links the queue to that mdev alone.
    mutating func rejudge(
        _ adapter: APID, seq: UInt64, cause: @autoclosure () -> String, filters: Bool = false, boundQueue: APQN? = nil
    ) -> [Decision] {
        var decisions: [Decision] = []
        for index in mdevs.records.indices where mdevs.records[index].assigned.adapters.contains(adapter.rawValue) {
            var record = mdevs.records[index]
            // A probe while the scan that added ids to this mdev runs links the queue and
            // filters nothing (vfio_ap_mdev_probe_queue); the scan's end filters it in full.
            if filters && !deferredFiltering.isEmpty && deferredFiltering.contains(record.uuid) { continue }
            let shadow: APMatrix
            let filtersThisMdev = filters && boundQueue.map(record.assigned.contains) ?? filters
            if filtersThisMdev && record.shadowIsStale {
                shadow = filteredShadow(of: record.assigned)
                record.shadowIsStale = false
                mdevs.replace(at: index, with: record)
            } else if filtersThisMdev {
                shadow = shadowAfterRejudging(adapter, of: record)
            } else {
                // Only clears: an unbind never brings an adapter into the guest.
                var cleared = shadowAfterRejudging(adapter, of: record)
                cleared.adapters = cleared.adapters.intersection(record.shadow.adapters)
                shadow = cleared
            }
            if shadow != record.shadow {
                decisions += moveShadow(of: record.uuid, to: shadow, seq: seq, cause: cause(), reportWithheld: false)
            }
        }
        return decisions
    }
}
