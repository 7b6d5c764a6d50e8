import APModel

/// The engine's picture of the AP bus: which queues exist, who drives them,
/// and per adapter the domains whose queues are passable into a guest.
///
/// Per-adapter masks let every queue event be handled in time independent of
/// how many APQNs exist elsewhere (design.md: never rescan the whole matrix).
struct HostModel {
    /// Driver names, interned so that the per-queue table stays plain data.
    /// Index 0 means "no driver".
    private(set) var driverNames: [String] = ["", "vfio_ap"]
    static let noDriver: UInt8 = 0
    static let vfioDriver: UInt8 = 1

    /// One queue device's state, in a flat table indexed by `APQN.index`.
    struct QueueSlot {
        var present = false
        var driver: UInt8 = HostModel.noDriver
        var configured = true
        var checkstopped = false
        var resetFailed = false
    }

    /// One card device's state.
    struct CardSlot: Hashable {
        var hardwareType: Int
        var driver: String?
        var configured: Bool
    }

    private(set) var queues = [QueueSlot](repeating: QueueSlot(), count: 65_536)
    /// Per adapter: domains that have a queue device.
    private(set) var queueDomains = [APMask](repeating: APMask(), count: 256)
    /// Per adapter: domains whose queue is bound to vfio_ap and whose last reset did not fail.
    private(set) var passable = [APMask](repeating: APMask(), count: 256)
    /// Per domain: how many queue devices exist (to infer the host's domains without QCI).
    private(set) var domainQueueCount = [Int32](repeating: 0, count: 256)
    /// Domains that have at least one queue device.
    private(set) var domainsWithQueues = APMask()
    /// The card devices.
    private(set) var cards: [APID: CardSlot] = [:]
    private(set) var cardMask = APMask()

    /// The host AP configuration (QCI: `ap_adapter_mask`, `ap_usage_domain_mask`,
    /// `ap_control_domain_mask`) as the engine believes it: read back (snapshot,
    /// observation) or inferred from the uevents of AP bus scans (``Engine``'s
    /// scan rule, kernel-ap.md §7). Without QCI data the adapters are the cards
    /// present, the domains those with queues, and every control domain counts.
    var configuration = APMatrix(adapters: APMask(), domains: APMask(), controlDomains: .all)
    var apmask = APMask.all
    var aqmask = APMask.all
    var maxAdapterID = 255
    var maxDomainID = 255

    /// Adapters in the host configuration (QCI APM).
    var hostAdapters: APMask { configuration.adapters }
    /// Usage domains in the host configuration (QCI AQM).
    var hostDomains: APMask { configuration.domains }
    /// Control domains in the host configuration (QCI ADM).
    var hostControlDomains: APMask { configuration.controlDomains }

    /// The configuration the devices imply when QCI gives none: the cards
    /// present, the domains that have queues, every control domain.
    var configurationOfDevices: APMatrix {
        APMatrix(adapters: cardMask, domains: domainsWithQueues, controlDomains: .all)
    }

    /// How many queue devices of `domain` exist.
    func queueCount(ofDomain domain: UInt8) -> Int32 { domainQueueCount[Int(domain)] }

    /// Whether `apqn` is reserved for the host's default drivers (apmask and aqmask).
    func isHostOwned(_ apqn: APQN) -> Bool {
        apmask.contains(apqn.adapter.rawValue) && aqmask.contains(apqn.domain.rawValue)
    }

    func queue(_ apqn: APQN) -> QueueSlot { queues[apqn.index] }

    func driverName(_ id: UInt8) -> String? { id == Self.noDriver ? nil : driverNames[Int(id)] }

    /// The id of driver `name`, interned if new. DRIVER names come from outside:
    /// when all 256 ids are taken, the names no queue uses any more are dropped
    /// first; when every id is still in use, the new name shares
    /// ``otherDriversID`` (the name only appears in messages; only vfio_ap matters).
    mutating func driverID(_ name: String) -> UInt8 {
        if let index = driverNames.firstIndex(of: name) { return UInt8(index) }
        if driverNames.count > Int(UInt8.max) { reclaimUnusedDriverNames() }
        guard driverNames.count > Int(UInt8.max) else {
            driverNames.append(name)
            return UInt8(driverNames.count - 1)
        }
        driverNames[Int(Self.otherDriversID)] = Self.otherDriversName
        return Self.otherDriversID
    }

    /// The last id, shared by every driver that found the table full.
    static let otherDriversID = UInt8.max
    static let otherDriversName = "(one of more than 254 other drivers)"

    /// Drops the names no queue refers to and renumbers the rest (ids 0 and 1 stay).
    private mutating func reclaimUnusedDriverNames() {
        var used = [Bool](repeating: false, count: driverNames.count)
        used[Int(Self.noDriver)] = true
        used[Int(Self.vfioDriver)] = true
        for slot in queues where slot.present { used[Int(slot.driver)] = true }
        guard used.contains(false) else { return }
        var renumbered = [UInt8](repeating: Self.noDriver, count: driverNames.count)
        var names: [String] = []
        for (index, name) in driverNames.enumerated() where used[index] {
            renumbered[index] = UInt8(names.count)
            names.append(name)
        }
        driverNames = names
        for index in queues.indices { queues[index].driver = renumbered[Int(queues[index].driver)] }
    }

    // MARK: Mutations (each keeps the per-adapter masks in step)

    /// Marks a queue device present or absent; returns whether the set of
    /// domains with queues changed (matters when the configuration is inferred).
    @discardableResult
    mutating func setQueuePresent(_ apqn: APQN, _ present: Bool) -> Bool {
        let index = apqn.index
        guard queues[index].present != present else { return false }
        let adapter = Int(apqn.adapter.rawValue)
        let domain = apqn.domain.rawValue
        if present {
            queues[index] = QueueSlot(present: true)
            queueDomains[adapter].insert(domain)
            domainQueueCount[Int(domain)] += 1
            if domainQueueCount[Int(domain)] == 1 {
                domainsWithQueues.insert(domain)
                return true
            }
        } else {
            queues[index] = QueueSlot()
            queueDomains[adapter].remove(domain)
            passable[adapter].remove(domain)
            domainQueueCount[Int(domain)] -= 1
            if domainQueueCount[Int(domain)] == 0 {
                domainsWithQueues.remove(domain)
                return true
            }
        }
        return false
    }

    mutating func setQueueDriver(_ apqn: APQN, _ driver: UInt8) {
        queues[apqn.index].driver = driver
        if driver == Self.vfioDriver { queues[apqn.index].resetFailed = false }
        updatePassable(apqn)
    }

    mutating func setQueueState(_ apqn: APQN, configured: Bool? = nil, checkstopped: Bool? = nil) {
        if let configured { queues[apqn.index].configured = configured }
        if let checkstopped { queues[apqn.index].checkstopped = checkstopped }
    }

    private mutating func updatePassable(_ apqn: APQN) {
        let slot = queues[apqn.index]
        let adapter = Int(apqn.adapter.rawValue)
        if slot.present && slot.driver == Self.vfioDriver && !slot.resetFailed {
            passable[adapter].insert(apqn.domain.rawValue)
        } else {
            passable[adapter].remove(apqn.domain.rawValue)
        }
    }

    mutating func setCard(_ id: APID, _ card: CardSlot?) {
        cards[id] = card
        if card == nil { cardMask.remove(id.rawValue) } else { cardMask.insert(id.rawValue) }
    }

    /// Rebuilds the whole model from a snapshot.
    init(snapshot: HostSnapshot) {
        apmask = snapshot.apmask
        aqmask = snapshot.aqmask
        maxAdapterID = snapshot.maxAdapterID
        maxDomainID = snapshot.maxDomainID
        for card in snapshot.cards {
            setCard(card.id, CardSlot(hardwareType: card.hardwareType, driver: card.driver, configured: card.configured))
        }
        for queue in snapshot.queues {
            setQueuePresent(queue.apqn, true)
            setQueueState(queue.apqn, configured: queue.configured, checkstopped: queue.checkstopped)
            setQueueDriver(queue.apqn, queue.driver.map { driverID($0) } ?? Self.noDriver)
        }
        configuration = snapshot.hostConfiguration ?? configurationOfDevices
    }

    /// An empty host: no devices, default masks (everything host-owned),
    /// configuration inferred from the devices that appear.
    init() {}

    /// Rebuilds a model from its persisted parts (``Engine/encode(to:)``). The
    /// per-adapter masks and per-domain counts are derived from the queue table
    /// exactly as the mutations keep them, so they are not persisted.
    init(
        driverNames: [String], queues: [QueueSlot], cards: [APID: CardSlot], configuration: APMatrix,
        apmask: APMask, aqmask: APMask, maxAdapterID: Int, maxDomainID: Int
    ) {
        self.driverNames = driverNames
        self.queues = queues
        for (id, card) in cards { setCard(id, card) }
        self.configuration = configuration
        self.apmask = apmask
        self.aqmask = aqmask
        self.maxAdapterID = maxAdapterID
        self.maxDomainID = maxDomainID
        for index in queues.indices where queues[index].present {
            let adapter = index >> 8, domain = UInt8(truncatingIfNeeded: index)
            queueDomains[adapter].insert(domain)
            domainQueueCount[Int(domain)] += 1
            domainsWithQueues.insert(domain)
            let slot = queues[index]
            if slot.driver == Self.vfioDriver && !slot.resetFailed { passable[adapter].insert(domain) }
        }
    }
}
