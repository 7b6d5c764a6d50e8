import APModel

/// The checks s390-tools' ap-check makes of a definition before mdevctl may
/// define, modify or start it (`ap_tools/ap-check.c`), applied to the
/// definitions enforce mode reads: a definition ap-check would refuse is not
/// enforced, and is reported once as a `conflict` naming the rule.
///
/// Both refusals depend on the definitions alone, so they are derived when
/// needed and not stored.
extension Engine {
    /// Why ap-check would refuse `uuid`'s auto definition, nil if it would not
    /// (or there is none, or it is manual: ap-check checks only auto definitions
    /// against each other, `ap_check_changes`).
    func definitionRefusal(_ uuid: MdevUUID) -> (cause: String, apqns: [APQN])? {
        guard let definition = definitions[uuid], definition.autostart else { return nil }
        let matrix = definition.matrix
        if matrix.domains.isEmpty && !matrix.controlDomains.isEmpty {
            return ("ap-check refuses the definition of mdev \(uuid): it has control domains but no usage domain "
                + "(\"At least one usage domain must be specified\", ap_check_active)", [])
        }
        for other in definitions.keys.sorted() where other != uuid {
            let theirs = definitions[known: other]
            guard theirs.autostart, matrix.adapters.intersects(theirs.matrix.adapters),
                  matrix.domains.intersects(theirs.matrix.domains) else { continue }
            let shared = APMatrix(
                adapters: matrix.adapters.intersection(theirs.matrix.adapters),
                domains: matrix.domains.intersection(theirs.matrix.domains))
            return ("ap-check refuses the definition of mdev \(uuid): its APQNs overlap the auto definition of mdev "
                + "\(other) (check_other_mdevs_cfg); neither is enforced until one changes", shared.apqns)
        }
        return nil
    }

    /// The refusals of every definition, by UUID.
    func definitionRefusals() -> [MdevUUID: (cause: String, apqns: [APQN])] {
        var refusals: [MdevUUID: (cause: String, apqns: [APQN])] = [:]
        for uuid in definitions.keys { refusals[uuid] = definitionRefusal(uuid) }
        return refusals
    }

    /// `conflict` decisions for the definitions whose refusal is new or changed
    /// between `before` and now, in UUID order.
    func newDefinitionRefusals(since before: [MdevUUID: (cause: String, apqns: [APQN])], seq: UInt64) -> [Decision] {
        let after = definitionRefusals()
        return after.keys.sorted().compactMap { uuid in
            let refusal = after[known: uuid]
            if let old = before[uuid], old.cause == refusal.cause, old.apqns == refusal.apqns { return nil }
            return Decision(
                seq: seq, kind: .conflict, mdev: uuid, guest: mdevs[uuid]?.guest.name, apqns: refusal.apqns,
                cause: refusal.cause)
        }
    }
}
