import APModel

/// Keeps a directory laid out like `/sys` in step with a ``SimulatedKernel``:
/// the AP bus attributes, cards, queues, driver directories, the vfio_ap
/// matrix device and mdevs, in the kernel's formats and with relative links
/// (testing-with-umockdev.md §3), readable by the snapshot reader, libudev
/// under umockdev and `tools/coldplug-floor.c`.
///
/// Updates are incremental: only the units an operation touched are
/// rendered again, and only entries whose content changed are rewritten.
public struct SimulatedSysfsTree: Sendable {
    /// The directory that plays `/sys`.
    public let root: String
    private var bus: BusUnit?
    private var drivers: DriversUnit?
    private var cards: [CardUnit?] = Array(repeating: nil, count: 256)
    private var queues: [QueueUnit?] = Array(repeating: nil, count: 65_536)
    private var mdevs: [MdevUUID: MdevUnit] = [:]

    /// Creates `root` (and its parents) and writes the whole tree of `kernel`
    /// into it. `root` should be empty or missing.
    public init(root: String, kernel: SimulatedKernel) throws(SysfsTreeError) {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        try FileSystem.makeDirectories(self.root)
        try update(from: kernel, touched: Self.everything(in: kernel))
    }

    /// Everything the kernel has, as touched devices.
    static func everything(in kernel: SimulatedKernel) -> TouchedDevices {
        var touched = TouchedDevices()
        touched.bus = true
        touched.drivers = true
        touched.cards = Set(kernel.cardIDs.map(\.rawValue))
        touched.queues = Set(kernel.queueIDs.map(\.index))
        touched.mdevs = Set(kernel.mdevs.map(\.uuid))
        return touched
    }

    /// Rewrites what `touched` may have changed so the tree matches `kernel`.
    public mutating func update(from kernel: SimulatedKernel, touched: TouchedDevices) throws(SysfsTreeError) {
        var changes: [(order: Int, old: [SysfsEntry], new: [SysfsEntry])] = []
        if touched.bus {
            let unit = BusUnit(kernel)
            if unit != bus { changes.append((0, bus?.entries ?? [], unit.entries)) }
            bus = unit
        }
        if touched.drivers {
            let unit = DriversUnit(kernel)
            if unit != drivers { changes.append((1, drivers?.entries ?? [], unit.entries)) }
            drivers = unit
        }
        for id in touched.cards.sorted() {
            let unit = kernel.card(APID(id)).map { CardUnit(APID(id), $0) }
            if unit != cards[Int(id)] { changes.append((2, cards[Int(id)]?.entries ?? [], unit?.entries ?? [])) }
            cards[Int(id)] = unit
        }
        // A changed mdev changes the `status` of the queues it had or has.
        var queueIndices = touched.queues
        for uuid in touched.mdevs {
            var apqns = mdevs[uuid]?.assigned ?? .empty
            if let current = kernel.mdev(uuid)?.assigned {
                apqns.adapters = apqns.adapters.union(current.adapters)
                apqns.domains = apqns.domains.union(current.domains)
            }
            for apqn in apqns.apqns where queues[apqn.index] != nil || kernel.queue(apqn) != nil {
                queueIndices.insert(apqn.index)
            }
        }
        for index in queueIndices.sorted() {
            let apqn = APQN(index: index)
            let unit = kernel.queue(apqn) == nil ? nil : QueueUnit(apqn, in: kernel)
            if unit != queues[index] { changes.append((3, queues[index]?.entries ?? [], unit?.entries ?? [])) }
            queues[index] = unit
        }
        for uuid in touched.mdevs.sorted() {
            let unit = kernel.mdev(uuid).map(MdevUnit.init)
            if unit != mdevs[uuid] { changes.append((4, mdevs[uuid]?.entries ?? [], unit?.entries ?? [])) }
            mdevs[uuid] = unit
        }
        // Tear down contents before containers, then build containers first.
        for change in changes.sorted(by: { $0.order > $1.order }) { try removeStale(change.old, keeping: change.new) }
        for change in changes.sorted(by: { $0.order < $1.order }) { try write(change.new, over: change.old) }
    }

    private func removeStale(_ old: [SysfsEntry], keeping new: [SysfsEntry]) throws(SysfsTreeError) {
        guard !old.isEmpty else { return }
        var kept: [String: SysfsEntry.Node] = [:]
        for entry in new { kept[entry.path] = entry.node }
        for entry in old.reversed() {
            guard let node = kept[entry.path] else {
                try FileSystem.removeTree(root + "/" + entry.path)
                continue
            }
            if !Self.sameKind(node, entry.node) { try FileSystem.removeTree(root + "/" + entry.path) }
        }
    }

    private func write(_ new: [SysfsEntry], over old: [SysfsEntry]) throws(SysfsTreeError) {
        var previous: [String: SysfsEntry.Node] = [:]
        for entry in old { previous[entry.path] = entry.node }
        for entry in new where previous[entry.path] != entry.node {
            let path = root + "/" + entry.path
            switch entry.node {
            case .directory: try FileSystem.makeDirectory(path)
            case .file(let content): try FileSystem.writeFile(path, content)
            case .writeOnlyFile: try FileSystem.writeFile(path, "", mode: 0o200)
            case .link(let target): try FileSystem.link(path, to: target)
            }
        }
    }

    private static func sameKind(_ lhs: SysfsEntry.Node, _ rhs: SysfsEntry.Node) -> Bool {
        switch (lhs, rhs) {
        case (.directory, .directory), (.file, .file), (.writeOnlyFile, .writeOnlyFile), (.link, .link): return true
        case (.directory, _), (.file, _), (.writeOnlyFile, _), (.link, _): return false
        }
    }
}
