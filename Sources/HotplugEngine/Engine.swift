import APModel

/// The hot plug engine: a pure state machine that follows the AP bus and
/// vfio_ap, predicts every mdev's guest configuration exactly as the kernel's
/// vfio_ap driver computes it (kernel-ap.md §4.3–§4.7), and decides what to
/// report and do.
///
/// Feed it events in arrival order with ``handle(_:)``; it returns the
/// decisions each event causes. It performs no IO, reads no clock and keeps
/// no globals, so replaying the same events gives byte-identical decisions.
///
/// The engine has one state, "following the host": it starts from an empty
/// host (no devices, everything host-owned) or from a snapshot, and every
/// later snapshot replaces its picture of the host (a resync).
public struct Engine: Sendable {
    var host = HostModel()
    /// The mdevs, in UUID order so that decisions come out in that order.
    var mdevs = MdevTable()
    var mdevOrder: [MdevUUID] { mdevs.order }
    /// Whether `/devices/vfio_ap/matrix` exists (vfio_ap is loaded).
    var matrixDevicePresent = false
    /// Tokens of the matrix device's `features`.
    var features: [String] = []
    /// The last COMPLETECOUNT of a `BINDINGS=complete` event.
    var lastCompleteCount: UInt64?
    /// Whether a snapshot has been applied (the next one is a resync).
    var hasSnapshot = false
    /// The persistent definitions (mdevctl), by UUID; empty unless the shell
    /// enforces (`--mode enforce|dry-run`).
    var definitions: [MdevUUID: MdevDefinition] = [:]
    /// chzdev's persistent AP bus masks, as last read (none until then).
    var apMaskRules = APMaskRulesReading.read(PersistentAPMasks())
    /// The definitions ap-check would refuse, as last reported
    /// (``reviewDefinitionRefusals(seq:)``); derived, rebuilt on decoding.
    var refusedDefinitions: [MdevUUID: DefinitionRefusal] = [:]
    /// Set (to the event's seq) by every change that can make a desired APQN
    /// assignable or not: apmask/aqmask, an assignment, an mdev added or removed.
    var assignabilityChangedAt: UInt64?
    /// The AP bus scan whose card and queue events are held (``Engine``'s scan rule).
    var scan: OpenScan?
    /// Adapters and domains whose place in the host configuration rests on
    /// inference from uevents, not on a read-back (a read-back contradicting
    /// them is a divergence).
    var inferredConfiguration = APMatrix(adapters: APMask(), domains: APMask())
    /// While a scan's held events are replayed: the mdevs that gained ids from
    /// the configuration change, whose probes do not filter (the scan's end does).
    var deferredFiltering: Set<MdevUUID> = []

    /// An engine that knows nothing yet: an empty host.
    public init() {}

    /// Handles one event and returns the decisions it causes, in order.
    public mutating func handle(_ event: EngineEvent) -> [Decision] {
        var decisions = dispatch(event)
        if let seq = assignabilityChangedAt {
            assignabilityChangedAt = nil
            if !definitions.isEmpty { decisions += reviewDefinitionRefusals(seq: seq) + enforceDefinitions(seq: seq) }
        }
        return decisions
    }

    private mutating func dispatch(_ event: EngineEvent) -> [Decision] {
        switch event {
        case .snapshot(let snapshot, let guests, let position):
            return applySnapshot(snapshot, guests: guests, seq: position)
        case .uevent(let uevent, let position):
            return handleUevent(uevent, position: position)
        case .guestAttached(let uuid, let name, let position):
            return endScan() + guestAttached(uuid, name: name, seq: position)
        case .guestDetached(let uuid, let name, let position):
            return endScan() + guestNamedDetach(uuid, name: name, seq: position)
        case .observed(let path, let value, let position):
            return observed(path: path, value: value, seq: position)
        case .definitionChanged(let uuid, let reading, let position):
            return endScan() + definitionChanged(uuid, reading, seq: position)
        case .apMaskRulesChanged(let reading, let position):
            return endScan() + apMaskRulesChanged(reading, seq: position)
        case .settled:
            return endScan()
        }
    }

    /// One queue per mdev whose vfio_ap `status` tells whether a guest holds
    /// it: the first APQN of every mdev's guest configuration. The shell reads
    /// these with its other read-backs, so a guest started without the libvirt
    /// hook still raises its migration blocker, and a named guest whose mdev was
    /// closed without a hook call (`virsh detach-device`) clears it.
    public var guestProbes: [APQN] {
        mdevs.records.compactMap { record in
            guard let adapter = record.shadow.adapters.first,
                  let domain = record.shadow.domains.first else { return nil }
            return APQN(adapter: adapter, domain: domain)
        }
    }

    // MARK: Shared helpers

    func anomaly(_ seq: UInt64, _ cause: String, mdev: MdevUUID? = nil, apqns: [APQN] = []) -> Decision {
        Decision(seq: seq, kind: .anomaly, mdev: mdev, guest: mdev.flatMap { mdevs[$0]?.guest.name }, apqns: apqns, cause: cause)
    }

    /// Adds an mdev record (kept in UUID order); no-op if it exists.
    mutating func insertMdev(_ uuid: MdevUUID, seq: UInt64) {
        guard mdevs[uuid] == nil else { return }
        mdevs[uuid] = MdevRecord(uuid: uuid)
        assignabilityChangedAt = seq
    }

    mutating func removeMdev(_ uuid: MdevUUID, seq: UInt64) {
        mdevs[uuid] = nil
        assignabilityChangedAt = seq
    }

    /// The mdev whose assigned matrix contains `apqn` (the kernel links a
    /// queue to the first such mdev; validation keeps it unique).
    func owner(of apqn: APQN) -> MdevUUID? {
        mdevs.records.first { $0.assigned.contains(apqn) }?.uuid
    }
}
