import APModel

extension Engine {
    /// A sysfs attribute read back by the shell. Assignment, `ap_config` and
    /// guest changes emit no uevents, so these reads are how the engine learns
    /// them; `guest_matrix` reads verify the prediction.
    mutating func observed(path: String, value: String, seq: UInt64) -> [Decision] {
        guard path.hasPrefix("/sys/") else {
            return [anomaly(seq, "observation of '\(path)', which is not under /sys")]
        }
        let relative = path.dropFirst(5)
        let parts = relative.split(separator: "/")
        let text = value.trimmingTrailingWhitespace
        if parts.count == 3, parts[0] == "bus", parts[1] == "ap", let mask = ConfigurationMask(attribute: parts[2]) {
            return hostConfigurationObserved(mask, text, seq: seq)
        }
        var decisions = endScan()
        decisions += observedOutsideScans(parts, path: path, value: value, text: text, seq: seq)
        return decisions
    }

    private mutating func observedOutsideScans(
        _ parts: [Substring], path: String, value: String, text: String, seq: UInt64
    ) -> [Decision] {
        if parts.count == 3, parts[0] == "bus", parts[1] == "ap" {
            // Other bus attributes carry nothing the engine follows.
            guard let mask = OwnershipMask(attribute: parts[2]) else { return [] }
            return maskEvent(text, mask, seq: seq)
        }
        let attribute = String(parts.last ?? "")
        let devicePath = "/" + parts.dropLast().joined(separator: "/")
        switch APDevice(devpath: devicePath) {
        case .mdev(let uuid):
            return mdevAttributeObserved(uuid, attribute, value, seq: seq)
        case .matrix where attribute == "features":
            features = text.split(separator: " ").map(String.init)
            return []
        case .queue(let apqn) where attribute == "status":
            return queueStatusObserved(apqn, text, seq: seq)
        case .queue(let apqn) where attribute == "config" || attribute == "chkstop":
            guard text == "0" || text == "1" else { return [anomaly(seq, "\(path) reads '\(text)', expected 0 or 1")] }
            if attribute == "config" {
                host.setQueueState(apqn, configured: text == "1")
            } else {
                host.setQueueState(apqn, checkstopped: text == "1")
            }
            return []
        case .busRoot, .card, .queue, .matrix, nil:
            return [anomaly(seq, "observation of \(path), which the engine does not follow")]
        }
    }

    /// A QCI mask read back (kernel-ap.md §4.7): recorded in the open scan,
    /// whose end applies it (``Engine``'s scan rule). Without QCI the
    /// configuration is the one the devices imply.
    private mutating func hostConfigurationObserved(_ kind: ConfigurationMask, _ text: String, seq: UInt64) -> [Decision] {
        if text == "not supported" {
            var decisions = endScan()
            let withheldBefore = mdevs.mapValues { withheldAdapters(of: $0) }
            host.configuration = host.configurationOfDevices
            inferredConfiguration = APMatrix(adapters: APMask(), domains: APMask())
            decisions += refilterAll(
                seq: seq, cause: "the host AP configuration is not available (no QCI)", withheldBefore: withheldBefore)
            return decisions
        }
        guard let mask = try? APMask(sysfsHex: text) else {
            return [anomaly(seq, "/sys/bus/ap/\(kind.attribute) reads '\(text)', expected 0x and 64 hex digits")]
        }
        configurationMaskObserved(mask, kind, seq: seq)
        return []
    }

    private mutating func mdevAttributeObserved(_ uuid: MdevUUID, _ attribute: String, _ value: String, seq: UInt64) -> [Decision] {
        var decisions: [Decision] = []
        if mdevs[uuid] == nil {
            decisions.append(anomaly(seq, "observation of mdev \(uuid), which was never added", mdev: uuid))
            insertMdev(uuid, seq: seq)
        }
        let current = mdevs[known: uuid].assigned
        var assigned = current
        do {
            switch attribute {
            case "matrix":
                let matrix = try APMatrix(matrixText: value)
                assigned.adapters = matrix.adapters
                assigned.domains = matrix.domains
            case "control_domains":
                assigned.controlDomains = try APMatrix.controlDomains(fromText: value)
            case "ap_config":
                assigned = try APMatrix(apConfigText: value)
            case "guest_matrix":
                let observed = try APMatrix(matrixText: value)
                return decisions + guestMatrixObserved(uuid, observed, seq: seq)
            default:
                return decisions + [anomaly(seq, "observation of mdev attribute '\(attribute)', which the engine does not follow", mdev: uuid)]
            }
        } catch {
            return decisions + [anomaly(seq, "mdev \(uuid) \(attribute): \(error.description)", mdev: uuid)]
        }
        return decisions + assignmentObserved(uuid, assigned, seq: seq)
    }

    /// The administrator (or mdevctl, libvirt, ap-check) changed the assignment.
    mutating func assignmentObserved(_ uuid: MdevUUID, _ assigned: APMatrix, seq: UInt64) -> [Decision] {
        let previous = mdevs[known: uuid].assigned
        guard assigned != previous else { return [] }
        mdevs[known: uuid].assigned = assigned
        assignabilityChangedAt = seq
        var decisions = conflicts(of: uuid, seq: seq)
        var changes: [String] = []
        func describe(_ mask: APMask, _ noun: String, _ width: Int) -> String {
            noun + " " + mask.map { width == 2 ? APID($0).description : APQI($0).description }.joined(separator: ", ")
        }
        let pairs: [(APMask, APMask, String, Int)] = [
            (previous.adapters, assigned.adapters, "adapter", 2),
            (previous.domains, assigned.domains, "domain", 4),
            (previous.controlDomains, assigned.controlDomains, "control domain", 4),
        ]
        for (old, new, noun, width) in pairs {
            if !new.subtracting(old).isEmpty { changes.append(describe(new.subtracting(old), noun, width) + " assigned") }
            if !old.subtracting(new).isEmpty { changes.append(describe(old.subtracting(new), noun, width) + " unassigned") }
        }
        let cause = changes.joined(separator: ", ")
        // assign_adapter/assign_domain and ap_config end in a full
        // filter_matrix; unassign_* only clears the ids from the shadow and
        // (un)assign_control_domain only re-filters control domains (§4.4,
        // §4.8). A read-back that gained no adapter or domain is taken for
        // unassignments and control-domain changes.
        let gainedUsage = !assigned.adapters.isSubset(of: previous.adapters) || !assigned.domains.isSubset(of: previous.domains)
        var shadow: APMatrix
        if gainedUsage {
            shadow = filteredShadow(of: assigned)
            mdevs[known: uuid].shadowIsStale = false
        } else {
            let removed = APMatrix(
                adapters: previous.adapters.subtracting(assigned.adapters),
                domains: previous.domains.subtracting(assigned.domains))
            shadow = clearedShadow(of: mdevs[known: uuid], removing: removed).shadow
            shadow.controlDomains = assigned.controlDomains.intersection(host.hostControlDomains)
            mdevs[known: uuid].shadowIsStale = shadow != filteredShadow(of: assigned)
        }
        if shadow != mdevs[known: uuid].shadow {
            decisions += moveShadow(of: uuid, to: shadow, seq: seq, cause: cause)
        } else {
            let before = previous.adapters.intersection(host.hostAdapters).subtracting(shadow.adapters)
            decisions += newlyWithheld(uuid, before: before, formerShadow: shadow.adapters, seq: seq)
        }
        return decisions
    }

    /// The kernel validates every assignment (§4.2): an assigned APQN that is
    /// host-owned, or also assigned to another mdev, means our picture is stale
    /// or the host is misconfigured. Reported with the errno the kernel answers.
    func conflicts(of uuid: MdevUUID, seq: UInt64) -> [Decision] {
        let record = mdevs[known: uuid]
        var decisions: [Decision] = []
        let hostOwned = record.assigned.apqns.filter { host.isHostOwned($0) }
        if !hostOwned.isEmpty {
            decisions.append(Decision(
                seq: seq, kind: .conflict, mdev: uuid, guest: record.guest.name, apqns: hostOwned,
                cause: "assigned APQNs are reserved for the host by apmask/aqmask (assignment would fail with EADDRNOTAVAIL)"))
        }
        for other in mdevOrder where other != uuid && mdevs[known: other].assigned.overlaps(record.assigned) {
            let shared = record.assigned.apqns.filter { mdevs[known: other].assigned.contains($0) }
            decisions.append(Decision(
                seq: seq, kind: .conflict, mdev: uuid, guest: record.guest.name, apqns: shared,
                cause: "APQNs also assigned to mdev \(other) (assignment would fail with EADDRINUSE)"))
        }
        return decisions
    }

    /// Compares the kernel's `guest_matrix` with the prediction. On a
    /// difference the kernel's word wins: the divergence is reported and the
    /// engine goes on from the observed configuration, so that one miss does
    /// not skew every later decision.
    mutating func guestMatrixObserved(_ uuid: MdevUUID, _ observed: APMatrix, seq: UInt64) -> [Decision] {
        mdevs[known: uuid].observedGuestMatrix = observed
        let record = mdevs[known: uuid]
        let predicted = APMatrix(adapters: record.shadow.adapters, domains: record.shadow.domains)
        guard observed != predicted else { return [] }
        let extra = observed.apqns.filter { !predicted.contains($0) }
        let missing = predicted.apqns.filter { !observed.contains($0) }
        var parts: [String] = []
        if !extra.isEmpty { parts.append("the kernel passes \(extra.count) APQN(s) the prediction lacks") }
        if !missing.isEmpty { parts.append("the prediction has \(missing.count) APQN(s) the kernel does not pass") }
        if parts.isEmpty { parts.append("adapters or domains without APQNs differ") }
        return [Decision(
            seq: seq, kind: .divergence, mdev: uuid, guest: record.guest.name,
            adapters: observed.adapters.symmetricDifference(predicted.adapters).adapterIDs,
            domains: observed.domains.symmetricDifference(predicted.domains).domainIDs,
            apqns: (extra + missing).sorted(),
            cause: "guest_matrix differs from the prediction: " + parts.joined(separator: "; ")
        )] + adoptObservedShadow(uuid, observed, seq: seq)
    }

    /// Takes the kernel's guest configuration as the shadow after a divergence.
    private mutating func adoptObservedShadow(_ uuid: MdevUUID, _ observed: APMatrix, seq: UInt64) -> [Decision] {
        var record = mdevs[known: uuid]
        record.shadow.adapters = observed.adapters
        record.shadow.domains = observed.domains
        record.shadowIsStale = record.shadow != filteredShadow(of: record.assigned)
        mdevs[uuid] = record
        return blockerUpdate(uuid, seq: seq)
    }

    /// vfio_ap's queue `status` (kernel-ap.md §4.12): `in use` means a guest holds
    /// the owning mdev; `assigned` for a queue in the guest configuration means no
    /// guest does, which ends an unnamed guest's hold, and a named guest's hold
    /// once the kernel had shown it `in use`: `virsh detach-device` goes through
    /// libvirt's mdev hot unplug, which calls no hook.
    private mutating func queueStatusObserved(_ apqn: APQN, _ text: String, seq: UInt64) -> [Decision] {
        switch text {
        case "in use":
            guard let uuid = owner(of: apqn) else {
                return [anomaly(seq, "queue \(apqn) is 'in use' but no mdev has it assigned", apqns: [apqn])]
            }
            mdevs[known: uuid].holdSeenInUse = true
            guard !mdevs[known: uuid].guest.isAttached else { return [] }
            mdevs[known: uuid].guest = .unknown
            return raiseBlocker(uuid, seq: seq)
        case "assigned":
            // Not 'in use' although in the guest configuration: no guest holds the mdev.
            guard let uuid = owner(of: apqn), mdevs[known: uuid].shadow.contains(apqn) else { return [] }
            switch mdevs[known: uuid].guest {
            case .none: return []
            case .unknown: return guestDetached(uuid, seq: seq)
            case .named:
                guard mdevs[known: uuid].holdSeenInUse else { return [] }
                return guestDetached(uuid, seq: seq, because: "queue \(apqn) is no longer 'in use': the mdev was closed without a hook call, as virsh detach-device does")
            }
        case "unassigned":
            return []
        default:
            return [anomaly(seq, "queue \(apqn) status reads '\(text)', expected assigned, unassigned or in use", apqns: [apqn])]
        }
    }
}

extension APMask {
    /// Ids in exactly one of the two masks.
    func symmetricDifference(_ other: APMask) -> APMask { union(other).subtracting(intersection(other)) }
}
