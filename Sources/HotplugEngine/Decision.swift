import APModel

/// One outcome of the engine: what happened to a guest's AP configuration,
/// what the shell should do, or what looked wrong. The shell reports every
/// decision (journal, JSON line, text) and carries out the imperative ones.
///
/// Lists are sorted ascending; `seq` is the SEQNUM of the event that caused
/// the decision, or the record's position in the input when it has none.
public struct Decision: Hashable, Sendable {
    /// What kind of outcome this is; each case documents the shell's effect.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// Adapters and/or domains entered the mdev's guest configuration
        /// (`guest_matrix`); control domains are listed in `domains` too and add
        /// no APQNs. Effect: report; verify by reading `guest_matrix`.
        case plug
        /// Whole adapters left the guest configuration (a queue left vfio_ap,
        /// the adapter left the host configuration, or was unassigned). Effect: report.
        case unplugAdapter = "unplug-adapter"
        /// Domains (usage or control) left the guest configuration on every adapter.
        /// Effect: report.
        case unplugDomain = "unplug-domain"
        /// Assigned adapters that the kernel keeps out of the guest until the
        /// listed APQNs are bound to vfio_ap and passable. Effect: report.
        case withhold
        /// Enforce mode: add these adapters, domains and control domains to the
        /// mdev's assignment; `apqns` lists the APQNs it gains. Effect: write sysfs
        /// (ap_config or assign_*) under the s390 AP config lock, then read back.
        case assign
        /// A desired or observed APQN is host-owned or held by another mdev; `cause`
        /// names the errno the kernel answers. Also: a second guest names an mdev
        /// that a guest holds (`guest` is the holder, who keeps it). Effect:
        /// report; nothing is written.
        case conflict
        /// A guest holds a vfio-ap mdev and cannot be live-migrated. Effect: report.
        case blockerRaised = "blocker-raised"
        /// The APQNs of a migration-blocking guest changed. Effect: report.
        case blockerUpdated = "blocker-updated"
        /// The guest released its vfio-ap mdev; it no longer blocks migration. Effect: report.
        case blockerCleared = "blocker-cleared"
        /// The kernel's `guest_matrix` differs from the engine's prediction.
        /// Effect: report; the observed value is kept beside the prediction.
        case divergence
        /// Events were lost (ENOBUFS, a COMPLETECOUNT gap). Effect: rescan sysfs and
        /// feed the engine a new snapshot.
        case resync
        /// Unexpected input (unknown device, bind before add, malformed uevent).
        /// Effect: report; the engine's model adopts the kernel's word where it can.
        case anomaly
    }

    public var seq: UInt64
    public var kind: Kind
    public var mdev: MdevUUID?
    public var guest: String?
    public var adapters: [APID]
    public var domains: [APQI]
    /// Control domains to assign (`assign` only).
    public var controlDomains: [APQI]
    public var apqns: [APQN]
    public var cause: String

    public init(
        seq: UInt64, kind: Kind, mdev: MdevUUID? = nil, guest: String? = nil,
        adapters: [APID] = [], domains: [APQI] = [], controlDomains: [APQI] = [], apqns: [APQN] = [], cause: String
    ) {
        self.seq = seq
        self.kind = kind
        self.mdev = mdev
        self.guest = guest
        self.adapters = adapters
        self.domains = domains
        self.controlDomains = controlDomains
        self.apqns = apqns
        self.cause = cause
    }
}
