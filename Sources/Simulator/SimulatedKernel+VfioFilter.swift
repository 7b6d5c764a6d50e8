import APModel

// vfio_ap's queue callbacks and its filtering rule (kernel-ap.md §4.2–§4.6).
// A queue is "linked" to an mdev exactly when it is bound to vfio_ap and its
// APQN is in the mdev's assigned matrix, so links are derived, not stored.
extension SimulatedKernel {
    /// `vfio_ap_mdev_probe_queue` (§4.5), after the binding is set: link to
    /// the owning mdev and filter it, unless a configuration-change scan has
    /// pending additions for that mdev (then `on_scan_complete` filters once).
    mutating func vfioProbeQueue(_ apqn: APQN) {
        guard let index = vfio?.ownerIndex(of: apqn), let mdev = vfio?.mdevs[index] else { return }
        touched.mdevs.insert(mdev.uuid)
        if !mdev.pendingAdd.adapters.isEmpty || !mdev.pendingAdd.domains.isEmpty { return }
        filterAndUpdate(mdevAt: index)
    }

    /// `vfio_ap_mdev_remove_queue` (§4.6), before the binding is cleared: a
    /// queue in the guest unplugs its whole adapter and resets the adapter's
    /// linked queues; otherwise the queue alone is reset if the host still
    /// has it. A domain is never unplugged here.
    mutating func vfioRemoveQueue(_ apqn: APQN) {
        guard let host = vfio?.host else {
            preconditionFailure("Queue \(apqn) was bound to vfio_ap while vfio_ap was not loaded.")
        }
        if let index = vfio?.ownerIndex(of: apqn), let mdev = vfio?.mdevs[index] {
            touched.mdevs.insert(mdev.uuid)
            if mdev.shadow.contains(apqn) {
                vfio?.mdevs[index].shadow.adapters.remove(apqn.adapter.rawValue)
                resetLinkedQueues(mdevAt: index, adapters: APMask([apqn.adapter.rawValue]))
                return
            }
        }
        if host.contains(adapter: apqn.adapter.rawValue, domain: apqn.domain.rawValue) {
            resetQueue(apqn.index)
        }
    }

    /// `vfio_ap_mdev_filter_matrix` (§4.3): the shadow becomes the assigned
    /// matrix limited to the host configuration, minus every adapter with an
    /// APQN over the shadow domains that is missing, not bound to vfio_ap or
    /// whose last reset failed. Returns whether the shadow's adapters or
    /// domains changed and which adapters left a guest that had them.
    mutating func filterMatrix(mdevAt index: Int) -> (changed: Bool, filtered: APMask) {
        guard let state = vfio else {
            preconditionFailure("Filtered an mdev while vfio_ap was not loaded.")
        }
        let mdev = state.mdevs[index]
        let previous = mdev.shadow
        var adapters = mdev.assigned.adapters.intersection(state.host.masks.adapters)
        let domains = mdev.assigned.domains.intersection(state.host.masks.domains)
        var filtered = APMask()
        for adapter in adapters where !domains.isSubset(of: passableDomains[Int(adapter)]) {
            adapters.remove(adapter)
            if previous.adapters.contains(adapter) { filtered.insert(adapter) }
        }
        vfio?.mdevs[index].shadow.adapters = adapters
        vfio?.mdevs[index].shadow.domains = domains
        touched.mdevs.insert(mdev.uuid)
        return (adapters != previous.adapters || domains != previous.domains, filtered)
    }

    /// `vfio_ap_mdev_filter_cdoms`: shadow control domains = assigned ∩ host
    /// (never filtered by queue state). Returns whether they changed.
    mutating func filterControlDomains(mdevAt index: Int) -> Bool {
        guard let state = vfio else {
            preconditionFailure("Filtered control domains while vfio_ap was not loaded.")
        }
        let previous = state.mdevs[index].shadow.controlDomains
        let current = state.mdevs[index].assigned.controlDomains.intersection(state.host.masks.controlDomains)
        vfio?.mdevs[index].shadow.controlDomains = current
        touched.mdevs.insert(state.mdevs[index].uuid)
        return current != previous
    }

    /// Filter, then (when the shadow changed) update the guest and reset the
    /// queues of the adapters the guest lost.
    mutating func filterAndUpdate(mdevAt index: Int) {
        let (changed, filtered) = filterMatrix(mdevAt: index)
        if changed { resetLinkedQueues(mdevAt: index, adapters: filtered) }
    }

    /// `reset_queues_for_apids`: resets the mdev's linked queues (apid, d)
    /// for every apid in `adapters` and every domain d of the shadow.
    mutating func resetLinkedQueues(mdevAt index: Int, adapters: APMask) {
        guard let mdev = vfio?.mdevs[index] else { return }
        for adapter in adapters {
            for domain in mdev.shadow.domains where mdev.assigned.contains(APQN(adapter: adapter, domain: domain)) {
                resetQueue(APQN(adapter: adapter, domain: domain).index)
            }
        }
    }

    /// Resets every queue linked to the mdev (close, release).
    mutating func resetAllLinkedQueues(mdevAt index: Int) {
        guard let mdev = vfio?.mdevs[index] else { return }
        for apqn in mdev.assigned.apqns { resetQueue(apqn.index) }
    }

    /// ZAPQ of a vfio_ap queue: its reset response code becomes what the
    /// hardware answers now (0, 03 deconfigured, 04 checkstopped, 01 when the
    /// APQN left the configuration). Queues not bound to vfio_ap are skipped.
    mutating func resetQueue(_ index: Int) {
        guard case .vfioAP? = queues[index]?.binding else { return }
        let apqn = APQN(index: index)
        let code: UInt8
        if !hardware.contains(adapter: apqn.adapter.rawValue, domain: apqn.domain.rawValue) {
            code = 0x01
        } else {
            let card = installedCard(apqn.adapter)
            code = card.deconfigured ? 0x03 : (card.checkstopped ? 0x04 : 0x00)
        }
        setBinding(index, .vfioAP(resetResponseCode: code))
        touched.queues.insert(index)
    }

    /// `vfio_ap_mdev_hot_unplug_adapters`/`_domains` (§4.4): for APQNs that
    /// were in the guest, collect their queues for a reset; drop the ids from
    /// the shadow (one guest update for the whole set). Uses the assigned
    /// matrix as it is when called.
    mutating func hotUnplug(mdevAt index: Int, adapters: APMask, domains: APMask) {
        guard let mdev = vfio?.mdevs[index] else { return }
        var reset: [Int] = []
        for adapter in adapters {
            for domain in mdev.assigned.domains
            where mdev.shadow.adapters.contains(adapter) && mdev.shadow.domains.contains(domain) {
                reset.append(APQN(adapter: adapter, domain: domain).index)
            }
        }
        for domain in domains {
            for adapter in mdev.assigned.adapters
            where mdev.shadow.adapters.contains(adapter) && mdev.shadow.domains.contains(domain) {
                reset.append(APQN(adapter: adapter, domain: domain).index)
            }
        }
        vfio?.mdevs[index].shadow.adapters = mdev.shadow.adapters.subtracting(adapters)
        vfio?.mdevs[index].shadow.domains = mdev.shadow.domains.subtracting(domains)
        touched.mdevs.insert(mdev.uuid)
        for queue in reset { resetQueue(queue) }
    }
}
