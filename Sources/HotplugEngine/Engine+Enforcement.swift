import APModel

/// Enforcement of the persistent definitions (design.md "Enforce the desired
/// configuration"): desired ids that the kernel would accept are assigned as
/// soon as they become assignable, the rest is reported as a conflict with the
/// errno the kernel would answer.
///
/// Enforcement only adds. What an administrator assigned beyond the definition
/// stays (mdevctl applies a changed definition at the next start, and
/// `mdevctl modify --live` writes the running device itself), and an APQN is
/// never taken from another mdev or from the host.
extension Engine {
    /// A definition appeared, changed or went away: re-plan that mdev.
    mutating func definitionChanged(_ uuid: MdevUUID, _ reading: DefinitionReading, seq: UInt64) -> [Decision] {
        var decisions: [Decision] = []
        switch reading {
        case .defined(let definition):
            definitions[uuid] = definition
        case .undefined:
            definitions[uuid] = nil
        case .unusable(let reason):
            definitions[uuid] = nil
            decisions.append(anomaly(seq, "the definition of mdev \(uuid) cannot be used: \(reason)", mdev: uuid))
        }
        if mdevs[uuid] != nil {
            mdevs[known: uuid].requestedAssignment = nil
            mdevs[known: uuid].reportedRefusals = AssignmentPlan()
        }
        // Another definition that overlapped this one may be enforceable now.
        decisions += reviewDefinitionRefusals(seq: seq, deferring: uuid)
        return decisions + enforce(uuid, seq: seq)
    }

    /// Re-plans every mdev with an auto definition after a change of what is assignable.
    mutating func enforceDefinitions(seq: UInt64) -> [Decision] {
        var decisions: [Decision] = []
        for uuid in mdevOrder where definitions[uuid]?.autostart == true && refusedDefinitions[uuid] == nil {
            decisions += enforce(uuid, seq: seq)
        }
        return decisions
    }

    /// Plans `uuid`'s next assignment and reports what changed since the last
    /// plan: new refusals as `conflict`, new additions as `assign`.
    mutating func enforce(_ uuid: MdevUUID, seq: UInt64) -> [Decision] {
        // A definition without a device is mdevctl's to start; nothing to assign to yet.
        // A manual definition is applied by mdevctl when it starts the mdev, not to
        // a live one (ap-check skips the checks of manual definitions, `ap_check_changes`).
        // One that ap-check would refuse is not enforced (``reviewDefinitionRefusals(seq:deferring:)``).
        guard let definition = definitions[uuid], definition.autostart, var record = mdevs[uuid],
              refusedDefinitions[uuid] == nil else { return [] }
        let plan = assignmentPlan(of: record, desired: definition.matrix)
        var decisions: [Decision] = []
        let refusals = plan.refusals
        if refusals != record.reportedRefusals {
            record.reportedRefusals = refusals
            decisions += conflictDecisions(refusals, of: record, seq: seq)
        }
        if plan.additions != record.requestedAssignment {
            record.requestedAssignment = plan.additions
            if !plan.additions.isEmpty { decisions.append(assignDecision(plan.additions, of: record, seq: seq)) }
        }
        mdevs[uuid] = record
        return decisions
    }

    /// The largest addition towards `desired` that the kernel's validation
    /// (kernel-ap.md §4.2) accepts as one write: no APQN of the resulting
    /// matrix host-owned or assigned to another mdev (or about to be, by an
    /// `assign` already decided), no id above the maximum.
    ///
    /// Adapters and domains are assigned whole, so one refused APQN keeps its
    /// adapter or its domain out. Starting from every desired id, new ids are
    /// left out one at a time (see ``idToLeaveOut``) until nothing is refused,
    /// then those that conflict with nothing left are taken back: a greedy
    /// choice after which every desired id still missing would be refused.
    func assignmentPlan(of record: MdevRecord, desired: APMatrix) -> AssignmentPlan {
        var plan = AssignmentPlan()
        let adapterRange = APMask(range: 0...UInt8(clamping: host.maxAdapterID))
        let domainRange = APMask(range: 0...UInt8(clamping: host.maxDomainID))
        plan.beyondMaximum = APMatrix(
            adapters: desired.adapters.subtracting(adapterRange), domains: desired.domains.subtracting(domainRange),
            controlDomains: desired.controlDomains.subtracting(domainRange))
        let wanted = APMatrix(
            adapters: desired.adapters.intersection(adapterRange), domains: desired.domains.intersection(domainRange),
            controlDomains: desired.controlDomains.intersection(domainRange))

        // Per adapter of the candidate matrix: the domains that would be refused with it.
        var adapters = record.assigned.adapters.union(wanted.adapters)
        var domains = record.assigned.domains.union(wanted.domains)
        var refusedDomains = [APMask](repeating: APMask(), count: 256)
        for adapter in adapters {
            var refused = host.apmask.contains(adapter) ? host.aqmask : APMask()
            for other in mdevs.records where other.uuid != record.uuid {
                let taken = other.prospectiveAssignment
                if taken.adapters.contains(adapter) { refused = refused.union(taken.domains) }
            }
            refusedDomains[Int(adapter)] = refused
        }

        // The desired APQNs the kernel refuses, whatever else gets assigned.
        for adapter in wanted.adapters {
            for domain in wanted.domains.intersection(refusedDomains[Int(adapter)]) {
                let apqn = APQN(adapter: adapter, domain: domain)
                if host.isHostOwned(apqn) { plan.hostOwned.append(apqn) }
            }
        }
        for other in mdevs.records where other.uuid != record.uuid && other.prospectiveAssignment.overlaps(wanted) {
            let taken = other.prospectiveAssignment
            let shared = APMatrix(
                adapters: taken.adapters.intersection(wanted.adapters), domains: taken.domains.intersection(wanted.domains)).apqns
            plan.heldElsewhere.append(AssignmentPlan.HeldElsewhere(mdev: other.uuid, apqns: shared))
        }

        // Leave out new ids until no APQN of the candidate is refused. Pairs of two
        // ids assigned already are the kernel's past judgement and are not re-judged.
        let newAdapters = adapters.subtracting(record.assigned.adapters)
        let newDomains = domains.subtracting(record.assigned.domains)
        var leftOut: [CandidateID] = []
        while let id = idToLeaveOut(adapters: adapters, domains: domains, newAdapters: newAdapters,
                                    newDomains: newDomains, refusedDomains: refusedDomains) {
            leftOut.append(id)
            switch id {
            case .adapter(let id): adapters.remove(id)
            case .domain(let id): domains.remove(id)
            }
        }
        // An id left out early may have conflicted only with ids left out later: take
        // back, in the order they left, those that are refused with nothing that stays.
        for id in leftOut {
            switch id {
            case .adapter(let id) where !refusedDomains[Int(id)].intersects(domains):
                adapters.insert(id)
            case .domain(let id) where !adapters.contains(where: { refusedDomains[Int($0)].contains(id) }):
                domains.insert(id)
            case .adapter, .domain:
                break
            }
        }
        plan.additions = APMatrix(
            adapters: adapters.subtracting(record.assigned.adapters),
            domains: domains.subtracting(record.assigned.domains),
            controlDomains: wanted.controlDomains.subtracting(record.assigned.controlDomains))
        return plan
    }

    /// The new id whose removal loses the fewest acceptable APQNs (ties: the one
    /// in more refused APQNs, then domains before adapters, then the higher id),
    /// or nil when no APQN of the candidate matrix is refused.
    private func idToLeaveOut(
        adapters: APMask, domains: APMask, newAdapters: APMask, newDomains: APMask, refusedDomains: [APMask]
    ) -> CandidateID? {
        var best: (id: CandidateID, lost: Int, refused: Int)?
        func consider(_ id: CandidateID, lost: Int, refused: Int) {
            guard refused > 0 else { return }
            if let current = best, (current.lost, -current.refused) < (lost, -refused) { return }
            best = (id, lost, refused)
        }
        var refusedPerDomain = [Int](repeating: 0, count: 256)
        for adapter in adapters {
            let isNew = newAdapters.contains(adapter)
            let refused = refusedDomains[Int(adapter)].intersection(isNew ? domains : domains.intersection(newDomains))
            for domain in refused { refusedPerDomain[Int(domain)] += 1 }
            if isNew { consider(.adapter(adapter), lost: domains.count - refused.count, refused: refused.count) }
        }
        for domain in newDomains.intersection(domains) {
            let refused = refusedPerDomain[Int(domain)]
            consider(.domain(domain), lost: adapters.count - refused, refused: refused)
        }
        return best?.id
    }

    private func conflictDecisions(_ refusals: AssignmentPlan, of record: MdevRecord, seq: UInt64) -> [Decision] {
        var decisions: [Decision] = []
        let guest = record.guest.name
        if !refusals.hostOwned.isEmpty {
            decisions.append(Decision(
                seq: seq, kind: .conflict, mdev: record.uuid, guest: guest, apqns: refusals.hostOwned,
                cause: "the definition asks for APQNs that apmask/aqmask reserve for the host; assigning them would fail with EADDRNOTAVAIL"))
        }
        for held in refusals.heldElsewhere {
            decisions.append(Decision(
                seq: seq, kind: .conflict, mdev: record.uuid, guest: guest, apqns: held.apqns,
                cause: "the definition asks for APQNs assigned to mdev \(held.mdev); assigning them would fail with EADDRINUSE"))
        }
        let beyond = refusals.beyondMaximum
        if !beyond.isEmpty {
            decisions.append(Decision(
                seq: seq, kind: .conflict, mdev: record.uuid, guest: guest, adapters: beyond.adapters.adapterIDs,
                domains: beyond.domains.union(beyond.controlDomains).domainIDs,
                cause: "the definition names ids above ap_max_adapter_id \(host.maxAdapterID) / ap_max_domain_id \(host.maxDomainID); assigning them would fail with ENODEV"))
        }
        return decisions
    }

    private func assignDecision(_ additions: APMatrix, of record: MdevRecord, seq: UInt64) -> Decision {
        let after = APMatrix(
            adapters: record.assigned.adapters.union(additions.adapters),
            domains: record.assigned.domains.union(additions.domains))
        let gained = after.apqns.filter { !record.assigned.contains($0) }
        var parts: [String] = []
        if !additions.adapters.isEmpty { parts.append("adapters " + additions.adapters.adapterIDs.map(\.description).joined(separator: ", ")) }
        if !additions.domains.isEmpty { parts.append("domains " + additions.domains.domainIDs.map(\.description).joined(separator: ", ")) }
        if !additions.controlDomains.isEmpty {
            parts.append("control domains " + additions.controlDomains.domainIDs.map(\.description).joined(separator: ", "))
        }
        return Decision(
            seq: seq, kind: .assign, mdev: record.uuid, guest: record.guest.name,
            adapters: additions.adapters.adapterIDs, domains: additions.domains.domainIDs,
            controlDomains: additions.controlDomains.domainIDs, apqns: gained,
            cause: "the definition asks for " + parts.joined(separator: "; ") + ", which the kernel accepts now")
    }
}

/// An adapter or domain that enforcement may leave out of an assignment.
private enum CandidateID {
    case adapter(UInt8)
    case domain(UInt8)
}
