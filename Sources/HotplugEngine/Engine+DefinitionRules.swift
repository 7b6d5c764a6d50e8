import APModel

/// Why s390-tools' ap-check would refuse a definition: the message and the
/// APQNs it names (none when the rule is about the definition alone).
struct DefinitionRefusal: Hashable, Sendable {
    var cause: String
    var apqns: [APQN]
}

/// The checks s390-tools' ap-check makes of a definition before mdevctl may
/// define, modify or start it (`ap_tools/ap-check.c`), applied to the
/// definitions enforce mode reads: a definition ap-check would refuse is not
/// enforced, and is reported once as a `conflict` naming the rule.
///
/// A refusal depends on the definitions, chzdev's persistent masks and, for a
/// mask the rule does not set, the active one: it is derived
/// (``definitionRefusal(_:)``) and compared with the last reported
/// (``Engine/refusedDefinitions``) whenever one of those changed.
extension Engine {
    /// Why ap-check would refuse `uuid`'s auto definition, nil if it would not
    /// (or there is none, or it is manual: ap-check checks only auto definitions
    /// against each other and the persistent masks, `ap_check_changes`).
    func definitionRefusal(_ uuid: MdevUUID) -> DefinitionRefusal? {
        guard let definition = definitions[uuid], definition.autostart else { return nil }
        let matrix = definition.matrix
        if matrix.domains.isEmpty && !matrix.controlDomains.isEmpty {
            return DefinitionRefusal(
                cause: "ap-check refuses the definition of mdev \(uuid): it has control domains but no usage domain "
                    + "(\"At least one usage domain must be specified\", ap_check_active)", apqns: [])
        }
        for other in definitions.keys.sorted() where other != uuid {
            let theirs = definitions[known: other]
            guard theirs.autostart, matrix.adapters.intersects(theirs.matrix.adapters),
                  matrix.domains.intersects(theirs.matrix.domains) else { continue }
            let shared = APMatrix(
                adapters: matrix.adapters.intersection(theirs.matrix.adapters),
                domains: matrix.domains.intersection(theirs.matrix.domains))
            return DefinitionRefusal(
                cause: "ap-check refuses the definition of mdev \(uuid): its APQNs overlap the auto definition of mdev "
                    + "\(other) (check_other_mdevs_cfg); neither is enforced until one changes", apqns: shared.apqns)
        }
        return persistentMaskRefusal(of: uuid, matrix)
    }

    /// `check_cfg_mask_conflicts`: an APQN whose adapter and domain chzdev's
    /// persistent masks keep for the host. When the rule sets neither mask,
    /// libap compares with the active masks, which the kernel's own refusal of
    /// host-owned APQNs already covers APQN by APQN (``assignmentPlan(of:desired:)``):
    /// an `echo` to `apmask` does not stop a whole definition from being enforced.
    private func persistentMaskRefusal(of uuid: MdevUUID, _ matrix: APMatrix) -> DefinitionRefusal? {
        switch apMaskRules {
        case .unusable(let reason):
            return DefinitionRefusal(
                cause: "ap-check refuses the definition of mdev \(uuid): it cannot read the persistent AP bus masks "
                    + "(\(reason); check_cfg_mask_conflicts); no auto definition is enforced until the rule is mended",
                apqns: [])
        case .read(let masks):
            guard masks.setsAny else { return nil }
            let persistent = masks.effective(activeApmask: host.apmask, activeAqmask: host.aqmask)
            let kept = APMatrix(
                adapters: matrix.adapters.intersection(persistent.apmask), domains: matrix.domains.intersection(persistent.aqmask))
            guard !kept.adapters.isEmpty, !kept.domains.isEmpty else { return nil }
            return DefinitionRefusal(
                cause: "ap-check refuses the definition of mdev \(uuid): chzdev's persistent AP bus masks "
                    + "(/etc/udev/rules.d/41-ap.rules\(masks.apmask == nil || masks.aqmask == nil ? ", with the active mask it does not set" : "")) "
                    + "keep these APQNs for the host (\"not defined for vfio_ap-passthrough use by the persistent ap bus mask "
                    + "settings\", check_cfg_mask_conflicts); it is not enforced until the definition or the rule changes",
                apqns: kept.apqns)
        }
    }

    /// Every refusal now, by UUID.
    func definitionRefusals() -> [MdevUUID: DefinitionRefusal] {
        var refusals: [MdevUUID: DefinitionRefusal] = [:]
        for uuid in definitions.keys { refusals[uuid] = definitionRefusal(uuid) }
        return refusals
    }

    /// Compares the refusals with those last reported: a `conflict` for each
    /// that is new or changed (in UUID order), then the definitions no longer
    /// refused are planned afresh, all but `deferred` (the caller plans that one).
    mutating func reviewDefinitionRefusals(seq: UInt64, deferring deferred: MdevUUID? = nil) -> [Decision] {
        let refusals = definitionRefusals()
        var decisions: [Decision] = refusals.keys.sorted().compactMap { uuid in
            let refusal = refusals[known: uuid]
            guard refusedDefinitions[uuid] != refusal else { return nil }
            return Decision(
                seq: seq, kind: .conflict, mdev: uuid, guest: mdevs[uuid]?.guest.name, apqns: refusal.apqns,
                cause: refusal.cause)
        }
        let lifted = refusedDefinitions.keys.filter { refusals[$0] == nil }
        refusedDefinitions = refusals
        for uuid in mdevOrder where uuid != deferred && lifted.contains(uuid) {
            mdevs[known: uuid].requestedAssignment = nil
            mdevs[known: uuid].reportedRefusals = AssignmentPlan()
            decisions += enforce(uuid, seq: seq)
        }
        return decisions
    }

    /// chzdev's rule was read: refuse or release the auto definitions it concerns.
    mutating func apMaskRulesChanged(_ reading: APMaskRulesReading, seq: UInt64) -> [Decision] {
        var decisions: [Decision] = []
        if case .unusable(let reason) = reading, reading != apMaskRules {
            decisions.append(anomaly(seq, "chzdev's persistent AP bus mask rule cannot be used: \(reason)"))
        }
        apMaskRules = reading
        return decisions + reviewDefinitionRefusals(seq: seq)
    }
}
