import APModel
import HotplugEngine
import Sysfs
import Trace

/// The daemon's engine owner: feeds coldplug snapshots, uevents, guest
/// notifications and sysfs read-backs to one ``Engine`` in the order they
/// happened, numbering them exactly as ``ReplaySession`` numbers the records
/// of a JSON Lines trace (the first snapshot is position 1, every fed event
/// takes the next position). Each fed event is also handed to `recorder`, so
/// replaying what it recorded gives the same decisions.
///
/// Read-backs are deduplicated here: an attribute is fed (and recorded) only
/// when its content differs from the last read, and every scan re-seeds the
/// last reads (just before it reads the tree), so polling an idle host feeds nothing.
/// Uevents are deduplicated by SEQNUM (``SeqnumWindow``): the daemon hears an
/// event both from its monitor and from `aphotplug handle`, and udev may run
/// `handle` twice for one event. An event numbered at or below the kernel's
/// uevent counter (`kernel/uevent_seqnum`) as read just before the last scan is
/// not fed either: the kernel emits a uevent after making its change, so the scan
/// already shows it (events queued on the monitor while the coldplug or a rescan
/// ran would otherwise be applied a second time, e.g. an unbind of a queue the
/// scan found unbound, an anomaly).
///
/// A ``Checkpoint`` carries everything but the tree from one process to the
/// next (`aphotplug handle`, ``EngineStateFile``).
///
/// - Important: One task owns a `DaemonCore`; it is not `Sendable` on purpose.
public struct DaemonCore {
    public private(set) var engine = Engine()
    /// The tree the daemon reads (`--sysfs-root`, `/sys` by default).
    public let tree: DirectorySysfsTree
    /// Gets each event fed to the engine, as a trace record (`aphotplug record`).
    public var recorder: (any TraceRecorder)?
    private var position: UInt64 = 0
    private var lastRead: [String: String] = [:]
    /// SEQNUMs of the uevents fed recently.
    private var handledSeqnums = SeqnumWindow()
    /// The kernel's uevent counter read just before the last scan, when the tree has one.
    private var scannedThrough: UInt64?
    /// The definition files as last fed (enforce and dry-run modes).
    private var lastDefinitions = DefinitionFiles()
    /// Counts from the last snapshot, for sd_notify's STATUS.
    public private(set) var queueCount = 0
    public private(set) var mdevCount = 0
    /// Uevents fed since start, and scans made (the coldplug scan and every rescan).
    public private(set) var ueventCount = 0
    public private(set) var scanCount = 0

    public init(tree: DirectorySysfsTree, recorder: (any TraceRecorder)? = nil) {
        self.tree = tree
        self.recorder = recorder
    }

    /// What a later process needs to continue where this one stopped.
    public struct Checkpoint {
        public var engine: Engine
        /// The position of the last fed event.
        public var position: UInt64
        /// The read-back values last fed, by logical path.
        public var lastRead: [String: String]
        /// The definition files last fed.
        public var lastDefinitions: DefinitionFiles
        public var handledSeqnums: SeqnumWindow

        public init(
            engine: Engine, position: UInt64, lastRead: [String: String], lastDefinitions: DefinitionFiles,
            handledSeqnums: SeqnumWindow
        ) {
            self.engine = engine
            self.position = position
            self.lastRead = lastRead
            self.lastDefinitions = lastDefinitions
            self.handledSeqnums = handledSeqnums
        }
    }

    /// A core that continues from `checkpoint` on `tree`.
    public init(tree: DirectorySysfsTree, restoring checkpoint: Checkpoint) {
        self.tree = tree
        engine = checkpoint.engine
        position = checkpoint.position
        lastRead = checkpoint.lastRead
        lastDefinitions = checkpoint.lastDefinitions
        handledSeqnums = checkpoint.handledSeqnums
    }

    /// The state to persist (the counts and the recorder are not part of it).
    public var checkpoint: Checkpoint {
        Checkpoint(
            engine: engine, position: position, lastRead: lastRead, lastDefinitions: lastDefinitions,
            handledSeqnums: handledSeqnums)
    }

    /// Notes `uevent`'s SEQNUM as handled without feeding it: the scan that
    /// `aphotplug handle` makes when it has no saved state already shows what
    /// the event did. Returns false when it was handled before.
    public mutating func markHandled(_ uevent: Uevent) -> Bool {
        guard let seqnum = uevent.seqnum else { return true }
        return handledSeqnums.insert(seqnum)
    }

    /// Scans the tree (coldplug, or a resync after lost events) and feeds the snapshot.
    ///
    /// - Throws: ``SnapshotError`` when the tree cannot be read; nothing is fed then.
    ///
    /// - Parameter restoredGuests: guest names from before a restart (the state
    ///   file); taken only for mdevs the scan finds in use, so a guest that
    ///   stopped meanwhile is not brought back.
    public mutating func scan(guests: [MdevUUID: String] = [:], restoredGuests: [MdevUUID: String] = [:]) throws(SnapshotError) -> [Decision] {
        // Seeded before the scan: a value that changes while the scan runs differs from
        // the seed at the next read-back and is fed then (feeding an unchanged value is harmless).
        let seed = Dictionary(readBack(), uniquingKeysWith: { $1 })
        scannedThrough = (try? tree.readAttribute(Self.ueventCounter)).flatMap { UInt64($0.filter { !$0.isWhitespace }) }
        let snapshot: HostSnapshot
        if let recorder {
            do {
                snapshot = try SnapshotReader(tree: RecordingSysfsTree(tree, sink: recorder.snapshotRead)).read()
            } catch {
                recorder.abandonSnapshot()
                throw error
            }
            recorder.endSnapshot()
        } else {
            snapshot = try SnapshotReader(tree: tree).read()
        }
        var guests = guests
        for mdev in snapshot.mdevs where mdev.inUse && guests[mdev.uuid] == nil {
            if let name = restoredGuests[mdev.uuid] { guests[mdev.uuid] = name }
        }
        queueCount = snapshot.queues.count
        mdevCount = snapshot.mdevs.count
        scanCount += 1
        position += 1
        lastRead = seed
        return engine.handle(.snapshot(snapshot, guests: guests, position: position))
    }

    /// The kernel's count of uevents sent since boot, relative to the sysfs root.
    static let ueventCounter = "kernel/uevent_seqnum"

    /// Feeds one uevent as received; nil (and nothing fed) when an event with
    /// its SEQNUM was fed before, or the last scan already shows it.
    public mutating func uevent(_ uevent: Uevent) -> [Decision]? {
        if let seqnum = uevent.seqnum, let scannedThrough, seqnum <= scannedThrough { return nil }
        guard markHandled(uevent) else { return nil }
        ueventCount += 1
        return feed(.uevent(uevent))
    }

    /// Feeds a guest notification (`aphotplug guest`, the libvirt hook).
    public mutating func guest(_ record: GuestRecord) -> [Decision] {
        feed(.guest(record))
    }

    /// Feeds chzdev's rule when it changed since the last call, then the mdevctl
    /// definitions that appeared, changed or went away (the first call feeds
    /// them all). Neither tool sends change notifications (ecosystem.md §1),
    /// so the daemon calls this at startup and on every poll.
    public mutating func definitions(_ files: DefinitionFiles) -> [Decision] {
        var decisions: [Decision] = []
        if files.apMaskRules != lastDefinitions.apMaskRules { decisions += feed(.apMaskRules(files.apMaskRules)) }
        let known = lastDefinitions.definitions
        for uuid in Set(files.definitions.keys).union(known.keys).sorted() where files.definitions[uuid] != known[uuid] {
            decisions += feed(.definition(mdev: uuid, config: files.definitions[uuid]))
        }
        lastDefinitions = files
        return decisions
    }

    /// Records and feeds one record that is no snapshot.
    private mutating func feed(_ record: TraceRecord) -> [Decision] {
        recorder?.record(record)
        position += 1
        do {
            return engine.handle(try EngineEvent(record, position: position))
        } catch {
            preconditionFailure("only a snapshot record can fail to convert, not \(record): \(error)")
        }
    }

    /// The definition files as last fed (``DefinitionSources/read(known:)``
    /// does not re-read an unusable file that was fed already).
    public var fedDefinitions: DefinitionFiles { lastDefinitions }

    /// Forgets that `uuid`'s definition was fed, so that the next ``definitions(_:)``
    /// feeds it again and the engine plans its assignment anew: for an `assign`
    /// that could not be written (the s390 AP configuration lock stayed busy) when
    /// no later read-back will ask for it again (`aphotplug handle` exits).
    public mutating func forgetDefinition(of uuid: MdevUUID) {
        lastDefinitions.definitions[uuid] = nil
    }

    /// Reads back every mdev's `matrix`, `guest_matrix` and `control_domains`, the
    /// host configuration masks and the `status` of the engine's guest probes
    /// (``Engine/guestProbes``), and feeds those that changed since the last read.
    ///
    /// - Parameter mdevs: read back only these mdevs (`aphotplug handle` reads
    ///   those an event can have changed, ``Engine/mdevsAffected(by:)``); nil: all.
    ///
    /// While the engine holds the events of an AP bus scan (``Engine/hasOpenScan``),
    /// the host configuration masks are fed even when unchanged (they are the
    /// kernel's word on what the scan meant, kernel-ap.md §7), and the scan is
    /// then ended with ``EngineEvent/settled(position:)``, recorded as a
    /// `settled` record: callers read back once a burst has settled.
    public mutating func observe(only mdevs: Set<MdevUUID>? = nil) -> [Decision] {
        var decisions: [Decision] = []
        let scanOpen = engine.hasOpenScan
        for (path, value) in readBack(only: mdevs)
        where lastRead[path] != value || (scanOpen && Self.configurationPaths.contains(path)) {
            lastRead[path] = value
            recorder?.record(.observe(path: path, value: value))
            position += 1
            decisions += engine.handle(.observed(path: path, value: value, position: position))
        }
        if engine.hasOpenScan {
            recorder?.record(.settled)
            position += 1
            decisions += engine.handle(.settled(position: position))
        }
        return decisions
    }

    /// The host configuration (QCI) masks, by logical path.
    static let configurationPaths: Set<String> = [
        "/sys/bus/ap/ap_adapter_mask", "/sys/bus/ap/ap_control_domain_mask", "/sys/bus/ap/ap_usage_domain_mask",
    ]

    /// The attributes the kernel changes without a uevent, by logical path (`/sys/...`), in
    /// the order they are fed: the host configuration masks, then per mdev (in UUID order)
    /// its assignment before its guest configuration, so that a `guest_matrix` that follows
    /// a new assignment is compared with the prediction for that assignment.
    private func readBack(only mdevs: Set<MdevUUID>? = nil) -> [(path: String, value: String)] {
        var values: [(path: String, value: String)] = []
        func read(_ relative: String) {
            if let value = try? tree.readAttribute(relative) { values.append(("/sys/" + relative, value)) }
        }
        for mask in ["ap_adapter_mask", "ap_control_domain_mask", "ap_usage_domain_mask"] {
            read("bus/ap/" + mask)
        }
        let matrix = "devices/vfio_ap/matrix"
        let names = (try? tree.listDirectory(matrix)) ?? []
        for name in names.sorted() {
            guard let uuid = MdevUUID(name), mdevs?.contains(uuid) ?? true else { continue }
            for attribute in ["matrix", "control_domains", "guest_matrix"] {
                read("\(matrix)/\(name)/\(attribute)")
            }
        }
        for apqn in engine.guestProbes { read(String(APDevice.queue(apqn).devpath.dropFirst()) + "/status") }
        return values
    }
}
