import APModel

// `ap_scan_bus` (kernel-ap.md §2.2): fetch QCI, tell vfio_ap about a changed
// configuration, walk the adapters in ascending order creating, updating and
// removing devices, let vfio_ap filter once, then INITSCAN and BINDINGS.
extension SimulatedKernel {
    /// One AP bus scan (the boot scan when ``scans`` is 0).
    mutating func scanBus() {
        let previous = configuration
        configuration.masks = hardware.masks
        let changed = configuration.masks != previous.masks
        if changed {
            touched.bus = true
            let newAdapters = configuration.masks.adapters.subtracting(previous.masks.adapters)
            let newDomains = configuration.masks.domains.subtracting(previous.masks.domains)
            if !newAdapters.isEmpty || !newDomains.isEmpty { bindingsComplete = false }
            vfioConfigurationChanged(from: previous)
        }
        selectDefaultDomain()
        for adapter in 0...Int(configuration.maxAdapterID) { scanAdapter(UInt8(adapter)) }
        if changed { vfioScanComplete() }
        scans += 1
        touched.bus = true
        if scans == 1 { emit(.change, .busRoot, [Uevent.Property("INITSCAN", "done")]) }
        checkBindingsComplete()
    }

    /// TAPQ's answer for the adapter's queues: deconfigured (03) wins over
    /// checkstopped (04).
    private func tapq(_ adapter: UInt8) -> (deconfigured: Bool, checkstopped: Bool) {
        let card = installedCard(APID(adapter))
        return (card.deconfigured, !card.deconfigured && card.checkstopped)
    }

    /// `ap_scan_adapter`.
    private mutating func scanAdapter(_ adapter: UInt8) {
        guard configuration.masks.adapters.contains(adapter) else {
            if cards[Int(adapter)] != nil { unregisterCardAndQueues(adapter) }
            return
        }
        // The card's type comes from the first usage domain TAPQ answers for.
        let hasUsageDomain = configuration.masks.domains.contains {
            $0 <= configuration.maxDomainID && !silentQueues.contains(Int(adapter) << 8 | Int($0))
        }
        guard hasUsageDomain else {
            if cards[Int(adapter)] != nil { unregisterCardAndQueues(adapter) }
            return
        }
        let installed = installedCard(APID(adapter))
        let state = tapq(adapter)
        if let card = cards[Int(adapter)] {
            if card.type != installed.type || card.mode != installed.mode {
                unregisterCardAndQueues(adapter)
            } else {
                if card.checkstopped != state.checkstopped {
                    cards[Int(adapter)]?.checkstopped = state.checkstopped
                    touched.cards.insert(adapter)
                }
                if card.configured == state.deconfigured {
                    cards[Int(adapter)]?.configured = !state.deconfigured
                    touched.cards.insert(adapter)
                    emit(.change, .card(APID(adapter)), [Uevent.Property("CONFIG", state.deconfigured ? "0" : "1")])
                }
            }
        }
        if cards[Int(adapter)] == nil { registerCard(adapter, hardware: installed) }
        scanDomains(adapter, state)
    }

    /// `ap_scan_domains`: domains ascending; a checkstop change skips the
    /// configuration check of that queue until the next scan, as the kernel does.
    private mutating func scanDomains(_ adapter: UInt8, _ state: (deconfigured: Bool, checkstopped: Bool)) {
        for domain in 0...Int(configuration.maxDomainID) {
            let index = Int(adapter) << 8 | domain
            guard configuration.masks.domains.contains(UInt8(domain)), !silentQueues.contains(index) else {
                if queues[index] != nil { unregisterQueue(index) }
                continue
            }
            guard let queue = queues[index] else {
                registerQueue(index, configured: !state.deconfigured, checkstopped: state.checkstopped)
                continue
            }
            if queue.checkstopped != state.checkstopped {
                queues[index]?.checkstopped = state.checkstopped
                touched.queues.insert(index)
                continue
            }
            if queue.configured == state.deconfigured {
                queues[index]?.configured = !state.deconfigured
                touched.queues.insert(index)
                emit(.change, .queue(APQN(index: index)), [Uevent.Property("CONFIG", state.deconfigured ? "0" : "1")])
            }
        }
    }

    /// `ap_select_domain`: once, the first usage domain in `aqmask` that has
    /// a normally answering queue on an adapter in `apmask`.
    private mutating func selectDefaultDomain() {
        guard defaultDomain < 0 else { return }
        let adapters = configuration.masks.adapters.intersection(apmask).filter { adapter in
            let card = installedCard(APID(adapter))
            return adapter <= configuration.maxAdapterID && !card.deconfigured && !card.checkstopped
        }
        guard !adapters.isEmpty else { return }
        let domains = configuration.masks.domains.intersection(aqmask)
        if let domain = domains.first, domain <= configuration.maxDomainID {
            defaultDomain = Int(domain)
            touched.bus = true
        }
    }
}

// MARK: - vfio_ap's configuration callbacks (§4.7)

extension SimulatedKernel {
    /// `vfio_ap_on_cfg_changed`, before the scan loop: guests lose removed
    /// adapters and domains at once; additions are remembered per mdev for
    /// `on_scan_complete`; vfio_ap's copy of the configuration is replaced.
    ///
    /// Control domains follow the source as read: the removed set is computed
    /// with `andnot` against the mdev's assigned control domains, so an
    /// assigned control domain that leaves the host stays in the shadow until
    /// the next control-domain filter (an upstream quirk, kept on purpose).
    mutating func vfioConfigurationChanged(from previous: HostConfiguration) {
        guard let state = vfio else { return }
        let current = configuration.masks
        let removedAdapters = previous.masks.adapters.subtracting(current.adapters)
        let removedDomains = previous.masks.domains.subtracting(current.domains)
        let removedControl = previous.masks.controlDomains.subtracting(current.controlDomains)
        if !removedAdapters.isEmpty || !removedDomains.isEmpty || !removedControl.isEmpty {
            for index in state.mdevs.indices {
                let mdev = state.mdevs[index]
                var shadow = mdev.shadow
                shadow.adapters = shadow.adapters.subtracting(removedAdapters.intersection(mdev.assigned.adapters))
                shadow.domains = shadow.domains.subtracting(removedDomains.intersection(mdev.assigned.domains))
                shadow.controlDomains = shadow.controlDomains.subtracting(
                    removedControl.subtracting(mdev.assigned.controlDomains)
                )
                vfio?.mdevs[index].shadow = shadow
                touched.mdevs.insert(mdev.uuid)
            }
        }
        let added = APMatrix(
            adapters: current.adapters.subtracting(previous.masks.adapters),
            domains: current.domains.subtracting(previous.masks.domains),
            controlDomains: current.controlDomains.subtracting(previous.masks.controlDomains)
        )
        // Every configured adapter in the simulator has a CEX4+ card, so the
        // type check on the added adapters keeps them all.
        if !added.isEmpty {
            for index in state.mdevs.indices {
                let assigned = state.mdevs[index].assigned
                vfio?.mdevs[index].pendingAdd = APMatrix(
                    adapters: assigned.adapters.intersection(added.adapters),
                    domains: assigned.domains.intersection(added.domains),
                    controlDomains: assigned.controlDomains.intersection(added.controlDomains)
                )
            }
        }
        vfio?.host.masks = current
    }

    /// `vfio_ap_on_scan_complete`: every mdev with pending additions is
    /// filtered once, its guest updated, filtered adapters reset.
    mutating func vfioScanComplete() {
        guard let state = vfio else { return }
        for index in state.mdevs.indices where !state.mdevs[index].pendingAdd.isEmpty {
            let pending = state.mdevs[index].pendingAdd
            var filtered = APMask()
            if !pending.adapters.isEmpty || !pending.domains.isEmpty {
                filtered = filterMatrix(mdevAt: index).filtered
            }
            if !pending.controlDomains.isEmpty { _ = filterControlDomains(mdevAt: index) }
            resetLinkedQueues(mdevAt: index, adapters: filtered)
            vfio?.mdevs[index].pendingAdd = .empty
        }
    }
}
