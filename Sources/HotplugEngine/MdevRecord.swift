import APModel

/// Who holds an mdev open.
enum GuestHolder: Hashable {
    /// No guest: the mdev is defined but not open.
    case none
    /// A named guest (from libvirt's hook, `aphotplug guest attach`, or `--guest`).
    case named(String)
    /// A queue's vfio_ap `status` reads `in use`, but no name is known.
    case unknown

    var name: String? {
        switch self {
        case .none, .unknown: return nil
        case .named(let name): return name
        }
    }

    var isAttached: Bool {
        switch self {
        case .none: return false
        case .named, .unknown: return true
        }
    }
}

/// The engine's record of one vfio_ap mediated device.
struct MdevRecord {
    let uuid: MdevUUID
    /// What the administrator assigned (`matrix`, `control_domains`).
    var assigned = APMatrix()
    /// The engine's prediction of the guest configuration (`guest_matrix`):
    /// the §4.3 filter of `assigned`, as of the kernel's last full filter.
    var shadow = APMatrix()
    /// Whether the kernel only cleared ids from the shadow since its last full
    /// filter (hot unplug by unassignment or host configuration removal,
    /// §4.4, §4.7), so that the shadow may lack adapters the filter would now
    /// pass. The kernel's next `filter_matrix` of this mdev (a queue bound to
    /// vfio_ap, an assignment, a scan that adds resources) puts them back.
    var shadowIsStale = false
    /// Who holds the mdev open.
    var guest = GuestHolder.none
    /// Whether the kernel has shown the hold: a queue of the guest configuration
    /// read `in use` since the guest attached. Only then does a queue reading
    /// `assigned` end a named guest's hold (a guest between libvirt's `prepare`
    /// and QEMU opening the mdev reads `assigned` too).
    var holdSeenInUse = false
    /// The last `guest_matrix` the kernel showed, if read.
    var observedGuestMatrix: APMatrix?
    /// The guest configuration reported in the last blocker decision; nil while
    /// no blocker is raised.
    var blockerMatrix: APMatrix?
    /// Enforcement: the additions of the last `assign` decision, so that the
    /// same write is asked for once (nil: nothing asked yet).
    var requestedAssignment: APMatrix?
    /// Enforcement: the refusals of the last `conflict` report, so that each
    /// set of conflicts is reported once.
    var reportedRefusals = AssignmentPlan()

    init(uuid: MdevUUID) { self.uuid = uuid }

    /// The assignment once the last `assign` decision is carried out: what
    /// other mdevs' plans must treat as taken, so that two mdevs are never
    /// told to take the same freed APQN in one step.
    var prospectiveAssignment: APMatrix {
        guard let requested = requestedAssignment else { return assigned }
        return APMatrix(
            adapters: assigned.adapters.union(requested.adapters), domains: assigned.domains.union(requested.domains),
            controlDomains: assigned.controlDomains.union(requested.controlDomains))
    }
}
