import APModel

/// What enforcing an mdev's definition needs right now: the ids to assign in
/// one step, and the desired APQNs and ids the kernel would refuse.
struct AssignmentPlan: Hashable {
    /// Desired APQNs that another mdev has assigned (the kernel answers EADDRINUSE).
    struct HeldElsewhere: Hashable {
        var mdev: MdevUUID
        var apqns: [APQN]
    }

    /// Adapters, usage domains and control domains to add to the assignment.
    var additions = APMatrix()
    /// Desired APQNs reserved for the host by apmask/aqmask (EADDRNOTAVAIL).
    var hostOwned: [APQN] = []
    var heldElsewhere: [HeldElsewhere] = []
    /// Desired ids above `ap_max_adapter_id`/`ap_max_domain_id` (ENODEV).
    var beyondMaximum = APMatrix()

    /// The refusals alone, so that each set of conflicts is reported once.
    var refusals: AssignmentPlan { AssignmentPlan(hostOwned: hostOwned, heldElsewhere: heldElsewhere, beyondMaximum: beyondMaximum) }
}
