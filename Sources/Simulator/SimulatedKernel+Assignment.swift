import APModel

// vfio_ap's assignment stores (kernel-ap.md §3.7, §4.4, §4.8). No uevents.
extension SimulatedKernel {
    /// A write to one of the mdev's assignment attributes. ENOENT when the
    /// mdev does not exist.
    mutating func writeMdevAttribute(_ uuid: MdevUUID, _ attribute: MdevAttribute, _ text: String) throws(KernelErrno) {
        guard let state = vfio, let index = state.index(of: uuid) else { throw .ENOENT }
        let maxAdapter = state.host.maxAdapterID
        let maxDomain = state.host.maxDomainID
        switch attribute {
        case .assignAdapter:
            let id = try Self.parseID(text, max: maxAdapter)
            var candidate = state.mdevs[index].assigned
            guard !candidate.adapters.contains(id) else { return }
            candidate.adapters.insert(id)
            try assign(candidate, mdevAt: index)
        case .assignDomain:
            let id = try Self.parseID(text, max: maxDomain)
            var candidate = state.mdevs[index].assigned
            guard !candidate.domains.contains(id) else { return }
            candidate.domains.insert(id)
            try assign(candidate, mdevAt: index)
        case .unassignAdapter:
            let id = try Self.parseID(text, max: maxAdapter)
            guard state.mdevs[index].assigned.adapters.contains(id) else { return }
            vfio?.mdevs[index].assigned.adapters.remove(id)
            hotUnplug(mdevAt: index, adapters: APMask([id]), domains: APMask())
        case .unassignDomain:
            let id = try Self.parseID(text, max: maxDomain)
            guard state.mdevs[index].assigned.domains.contains(id) else { return }
            vfio?.mdevs[index].assigned.domains.remove(id)
            hotUnplug(mdevAt: index, adapters: APMask(), domains: APMask([id]))
        case .assignControlDomain:
            let id = try Self.parseID(text, max: maxDomain)
            guard !state.mdevs[index].assigned.controlDomains.contains(id) else { return }
            vfio?.mdevs[index].assigned.controlDomains.insert(id)
            _ = filterControlDomains(mdevAt: index)
        case .unassignControlDomain:
            let id = try Self.parseID(text, max: maxDomain)
            guard state.mdevs[index].assigned.controlDomains.contains(id) else { return }
            vfio?.mdevs[index].assigned.controlDomains.remove(id)
            vfio?.mdevs[index].shadow.controlDomains.remove(id)
        case .apConfig:
            try writeAPConfig(text, mdevAt: index, maxAdapter: maxAdapter, maxDomain: maxDomain)
        }
        touched.mdevs.insert(uuid)
    }

    /// `assign_adapter`/`assign_domain` after parsing: validate the whole
    /// resulting matrix, commit, link and filter.
    private mutating func assign(_ candidate: APMatrix, mdevAt index: Int) throws(KernelErrno) {
        try validate(candidate, mdevAt: index)
        vfio?.mdevs[index].assigned = candidate
        filterAndUpdate(mdevAt: index)
    }

    /// `vfio_ap_mdev_validate_masks`: EADDRNOTAVAIL when an APQN of the
    /// matrix is host-owned, EADDRINUSE when it overlaps another mdev's
    /// assigned matrix. Queues need not exist or be bound.
    private mutating func validate(_ candidate: APMatrix, mdevAt index: Int) throws(KernelErrno) {
        if candidate.adapters.intersects(apmask) && candidate.domains.intersects(aqmask) { throw .EADDRNOTAVAIL }
        guard let state = vfio else { return }
        var conflict = false
        for (other, mdev) in state.mdevs.enumerated() where other != index && mdev.assigned.overlaps(candidate) {
            conflict = true
            let overlap = APMatrix(
                adapters: mdev.assigned.adapters.intersection(candidate.adapters),
                domains: mdev.assigned.domains.intersection(candidate.domains)
            )
            for apqn in overlap.apqns {
                kernelLog("vfio_ap_mdev \(state.mdevs[index].uuid): Userspace may not assign queue \(apqn) to mdev: already assigned to \(mdev.uuid)")
            }
        }
        if conflict { throw .EADDRINUSE }
    }

    /// `ap_config_store` (§4.8): all or nothing. EINVAL when fewer than three
    /// masks parse, then EADDRNOTAVAIL/EADDRINUSE, then ENODEV for an id
    /// above the maximum. Removed adapters and domains are unplugged first,
    /// then the new matrix is linked and filtered.
    private mutating func writeAPConfig(_ text: String, mdevAt index: Int, maxAdapter: UInt8, maxDomain: UInt8) throws(KernelErrno) {
        let candidate = try Self.parseAPConfig(text)
        try validate(candidate, mdevAt: index)
        let tooLarge = candidate.adapters.contains { $0 > maxAdapter }
            || candidate.domains.contains { $0 > maxDomain }
            || candidate.controlDomains.contains { $0 > maxDomain }
        if tooLarge { throw .ENODEV }
        guard let old = vfio?.mdevs[index].assigned else { return }
        hotUnplug(
            mdevAt: index, adapters: old.adapters.subtracting(candidate.adapters),
            domains: old.domains.subtracting(candidate.domains)
        )
        vfio?.mdevs[index].assigned = candidate
        filterAndUpdate(mdevAt: index)
        _ = filterControlDomains(mdevAt: index)
    }

    /// `parse_bitmap` three times: `strsep` on `,` and `\n`, each piece
    /// through `ap_hex2bitmap`; the input is first cut to `AP_CONFIG_STRLEN`
    /// (201) characters and anything after the third mask is ignored.
    static func parseAPConfig(_ text: String) throws(KernelErrno) -> APMatrix {
        var rest: Substring? = Substring(String(decoding: text.utf8.prefix(201), as: UTF8.self))
        var masks: [APMask] = []
        for _ in 0..<3 {
            guard let current = rest else { throw .EINVAL }
            let piece: Substring
            if let end = current.firstIndex(where: { $0 == "," || $0 == "\n" }) {
                piece = current[current.startIndex..<end]
                rest = current[current.index(after: end)...]
            } else {
                piece = current
                rest = nil
            }
            do {
                masks.append(try APMask(sysfsHex: String(piece)))
            } catch {
                throw .EINVAL
            }
        }
        return APMatrix(adapters: masks[0], domains: masks[1], controlDomains: masks[2])
    }

    /// `kstrtoul(…, 0)` then ENODEV above `max`.
    static func parseID(_ text: String, max: UInt8) throws(KernelErrno) -> UInt8 {
        let value = try KernelNumber.kstrtoul(text)
        guard value <= UInt64(max) else { throw .ENODEV }
        return UInt8(value)
    }
}
