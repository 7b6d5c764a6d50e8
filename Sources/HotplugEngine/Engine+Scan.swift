import APModel

/// The scan rule: how the engine follows the host AP configuration (QCI)
/// from uevents alone, and from read-backs where it has them (kernel-ap.md §7,
/// `ap_scan_bus`, `ap_scan_adapter`, `ap_scan_domains`, `vfio_ap_on_cfg_changed`,
/// `vfio_ap_on_scan_complete`).
///
/// Card and queue `add`, `remove` and `unbind` events (and the `bind` of a
/// device added in the same scan, and `change` events while a scan is open)
/// are held in an ``OpenScan``. Anything else ends the scan first: an AP bus
/// root event, a matrix or mdev event, a guest notification, a definition, a
/// read-back other than the QCI masks, or ``EngineEvent/settled(position:)``
/// (the shell's end of a burst, replay's end of input). A card or queue event
/// for a lower adapter than the scan has reached, or after a QCI read-back
/// that followed events, opens a new scan.
///
/// When a scan ends, the engine concludes what the configuration became:
/// - a QCI mask read back during the scan is the kernel's word;
/// - otherwise a card `add` puts its adapter in, a queue `add` its adapter
///   and its domain (devices are created for configured ids only);
/// - a card whose last event in the scan is its `remove` left the configuration
///   (inferred: no TAPQ answer and adapter type 0 look the same);
/// - a domain whose queues were removed on some adapter that stays, and of
///   which no queue is left anywhere, left the configuration (a removal with
///   queues of the domain left elsewhere is a TAPQ failure of that APQN).
///
/// It then does what vfio_ap did: clears the removed ids from every shadow
/// (before any of the scan's devices went), replays the held events with
/// filtering deferred for the mdevs that have added ids assigned (their
/// probes skip the filter), and filters those mdevs in full at the end.
/// A read-back that contradicts an earlier inference gives one `divergence`
/// and is adopted.
extension Engine {
    /// Whether card or queue events are held, waiting for the scan they belong
    /// to to end. The shell reads the QCI masks back and then feeds
    /// ``EngineEvent/settled(position:)`` when a burst has settled.
    public var hasOpenScan: Bool { scan != nil }

    /// Whether a card or queue event belongs to the AP bus scan in progress (or opens one).
    func isScanEvent(_ action: UeventAction, _ device: OpenScan.Device) -> Bool {
        switch action {
        case .add, .remove, .unbind: true
        case .bind: scan?.hasAdded(device) ?? false
        case .change: scan != nil
        case .move, .online, .offline: false
        }
    }

    /// Holds a card or queue event of a scan; ends a scan it cannot belong to first.
    mutating func holdScanEvent(_ action: UeventAction, _ device: OpenScan.Device, _ uevent: Uevent, seq: UInt64) -> [Decision] {
        var decisions: [Decision] = []
        if let scan, !scan.accepts(action, of: device) { decisions = endScan() }
        if scan == nil { scan = OpenScan(firstSeq: seq) }
        scan!.hold(OpenScan.HeldEvent(uevent: uevent, action: action, device: device, seq: seq))
        return decisions
    }

    /// A QCI mask read back: recorded in the scan (opening one that later
    /// events join, as in traces that read the masks when a scan's first event arrives).
    mutating func configurationMaskObserved(_ mask: APMask, _ kind: ConfigurationMask, seq: UInt64) {
        if scan == nil { scan = OpenScan(firstSeq: seq) }
        switch kind {
        case .adapters: scan!.readBack.adapters = mask
        case .domains: scan!.readBack.domains = mask
        case .controlDomains: scan!.readBack.controlDomains = mask
        }
        scan!.readBack.seq = seq
        scan!.noteReadBack(seq: seq)
    }

    /// Ends the open scan, if any, and returns what it caused.
    mutating func endScan() -> [Decision] {
        guard let scan else { return [] }
        self.scan = nil
        guard scan.changesDevices || !scan.readBack.isEmpty else { return replay(scan.events) }
        let old = host.configuration
        let facts = ScanFacts(scan, host)
        let implied = APMatrix(
            adapters: old.adapters.union(facts.enteredAdapters).subtracting(facts.leftAdapters),
            domains: old.domains.union(facts.enteredDomains).subtracting(facts.leftDomains),
            controlDomains: old.controlDomains)
        let readBack = scan.readBack
        let new = APMatrix(
            adapters: readBack.adapters ?? implied.adapters, domains: readBack.domains ?? implied.domains,
            controlDomains: readBack.controlDomains ?? implied.controlDomains)
        var decisions = contradictions(readBack, old: old, seq: readBack.seq ?? scan.lastSeq)
        inferredConfiguration.adapters = readBack.adapters == nil
            ? inferredConfiguration.adapters.union(implied.adapters.symmetricDifference(old.adapters)) : APMask()
        inferredConfiguration.domains = readBack.domains == nil
            ? inferredConfiguration.domains.union(implied.domains.symmetricDifference(old.domains)) : APMask()
        guard new != old else { return decisions + replay(scan.events) }

        let removed = APMatrix(
            adapters: old.adapters.subtracting(new.adapters), domains: old.domains.subtracting(new.domains),
            controlDomains: old.controlDomains.subtracting(new.controlDomains))
        let added = APMatrix(
            adapters: new.adapters.subtracting(old.adapters), domains: new.domains.subtracting(old.domains),
            controlDomains: new.controlDomains.subtracting(old.controlDomains))
        let withheldBefore = mdevs.mapValues { withheldAdapters(of: $0) }
        let shadowBefore = mdevs.mapValues { $0.shadow.adapters }
        host.configuration = new

        // vfio_ap_on_cfg_changed: removed ids leave every shadow, nothing is re-filtered.
        if !removed.isEmpty {
            let cause = ConfigurationCause.removal(removed, readBack: readBack, facts: facts)
            for uuid in mdevOrder {
                let record = mdevs[known: uuid]
                let target = clearedShadow(of: record, removing: removed)
                mdevs[known: uuid].shadowIsStale = target.isStale
                if target.shadow != record.shadow {
                    decisions += moveShadow(of: uuid, to: target.shadow, seq: scan.firstSeq, cause: cause, reportWithheld: false)
                }
            }
        }
        // The scan's devices, with the probes of mdevs that gained ids not filtering.
        deferredFiltering = Set(mdevs.records.filter { $0.assigned.intersects(added) }.map(\.uuid))
        decisions += replay(scan.events)
        let deferred = deferredFiltering
        deferredFiltering = []
        // vfio_ap_on_scan_complete: each mdev that gained ids is filtered once, in full.
        let cause = ConfigurationCause.addition(added, readBack: readBack)
        for uuid in mdevOrder where deferred.contains(uuid) {
            let record = mdevs[known: uuid]
            let gains = record.assigned.intersection(added)
            var shadow = record.shadow
            if !gains.adapters.isEmpty || !gains.domains.isEmpty {
                shadow = filteredShadow(of: record.assigned)
            } else {
                shadow.controlDomains = record.assigned.controlDomains.intersection(host.hostControlDomains)
            }
            mdevs[known: uuid].shadowIsStale = shadow != filteredShadow(of: record.assigned)
            if shadow != record.shadow {
                decisions += moveShadow(of: uuid, to: shadow, seq: scan.lastSeq, cause: cause, reportWithheld: false)
            }
            decisions += newlyWithheld(
                uuid, before: withheldBefore[uuid] ?? APMask(),
                formerShadow: record.shadow.adapters.union(shadowBefore[uuid] ?? APMask()), seq: scan.lastSeq)
        }
        return decisions
    }

    /// The held events, through the same handlers as events outside a scan.
    private mutating func replay(_ events: [OpenScan.HeldEvent]) -> [Decision] {
        var decisions: [Decision] = []
        for event in events {
            switch event.device {
            case .card(let id):
                decisions += cardEvent(event.action, id, event.uevent, seq: event.seq)
            case .queue(let apqn):
                decisions += queueEvent(event.action, apqn, event.uevent, driver: event.uevent.driver, seq: event.seq)
            }
        }
        return decisions
    }

    /// One `divergence` when a read-back contradicts what an earlier scan's
    /// uevents implied (and the engine has already decided on). Within one
    /// scan the read-back simply wins: nothing was decided on the inference yet.
    private func contradictions(_ readBack: OpenScan.ReadBack, old: APMatrix, seq: UInt64) -> [Decision] {
        var adapters = APMask()
        var domains = APMask()
        if let mask = readBack.adapters {
            adapters = mask.symmetricDifference(old.adapters).intersection(inferredConfiguration.adapters)
        }
        if let mask = readBack.domains {
            domains = mask.symmetricDifference(old.domains).intersection(inferredConfiguration.domains)
        }
        guard !adapters.isEmpty || !domains.isEmpty else { return [] }
        var parts: [String] = []
        let readAdapters = readBack.adapters ?? APMask()
        let readDomains = readBack.domains ?? APMask()
        let adaptersIn = adapters.intersection(readAdapters), adaptersOut = adapters.subtracting(readAdapters)
        let domainsIn = domains.intersection(readDomains), domainsOut = domains.subtracting(readDomains)
        if !adaptersIn.isEmpty { parts.append("adapter \(adaptersIn.adapterNames) is in it") }
        if !adaptersOut.isEmpty { parts.append("adapter \(adaptersOut.adapterNames) is not") }
        if !domainsIn.isEmpty { parts.append("domain \(domainsIn.domainNames) is in it") }
        if !domainsOut.isEmpty { parts.append("domain \(domainsOut.domainNames) is not") }
        return [Decision(
            seq: seq, kind: .divergence, adapters: adapters.adapterIDs, domains: domains.domainIDs,
            cause: "the host AP configuration read back differs from what the uevents implied: "
                + parts.joined(separator: ", ") + "; the read-back wins")]
    }
}

/// Which QCI mask a read-back is of.
enum ConfigurationMask: Sendable, CaseIterable {
    case adapters, domains, controlDomains

    /// The mask `/sys/bus/ap/<attribute>` shows, or nil for any other attribute.
    init?(attribute: some StringProtocol) {
        guard let mask = Self.allCases.first(where: { $0.attribute == attribute }) else { return nil }
        self = mask
    }

    var attribute: String {
        switch self {
        case .adapters: "ap_adapter_mask"
        case .domains: "ap_usage_domain_mask"
        case .controlDomains: "ap_control_domain_mask"
        }
    }
}

/// apmask or aqmask: which adapters or domains the host's default drivers keep.
enum OwnershipMask: Sendable, CaseIterable {
    case adapters, domains

    /// The mask `/sys/bus/ap/<attribute>` shows, or nil for any other attribute.
    init?(attribute: some StringProtocol) {
        guard let mask = Self.allCases.first(where: { $0.attribute == attribute }) else { return nil }
        self = mask
    }

    var attribute: String {
        switch self {
        case .adapters: "apmask"
        case .domains: "aqmask"
        }
    }

    /// The key of the AP bus root's `change` uevent.
    var ueventKey: String {
        switch self {
        case .adapters: "APMASK"
        case .domains: "AQMASK"
        }
    }
}

/// What a scan's held events say about the configuration (see ``Engine``'s scan rule).
struct ScanFacts {
    /// Adapters with a card or queue added (and not removed after).
    var enteredAdapters = APMask()
    /// Domains with a queue added.
    var enteredDomains = APMask()
    /// Adapters whose card was removed and not re-created.
    var leftAdapters = APMask()
    /// Domains of which a queue was removed on an adapter that stays and none is left.
    var leftDomains = APMask()

    init(_ scan: OpenScan, _ host: HostModel) {
        var cardAdded = APMask()
        for event in scan.events {
            guard case .card(let id) = event.device else { continue }
            switch event.action {
            case .add:
                cardAdded.insert(id.rawValue)
                leftAdapters.remove(id.rawValue)
            case .remove:
                cardAdded.remove(id.rawValue)
                if host.cards[id] != nil { leftAdapters.insert(id.rawValue) }
            case .bind, .unbind, .change, .move, .online, .offline:
                break
            }
        }
        enteredAdapters = cardAdded
        var added: [UInt8: Int32] = [:]
        var removed: [UInt8: Int32] = [:]
        var removedOnStayingAdapter = APMask()
        var present = Set<APQN>()
        var gone = Set<APQN>()
        for event in scan.events {
            guard case .queue(let apqn) = event.device else { continue }
            let domain = apqn.domain.rawValue
            let existed = host.queue(apqn).present
            switch event.action {
            case .add:
                enteredDomains.insert(domain)
                if !leftAdapters.contains(apqn.adapter.rawValue) { enteredAdapters.insert(apqn.adapter.rawValue) }
                if (existed && gone.remove(apqn) != nil) || (!existed && present.insert(apqn).inserted) {
                    added[domain, default: 0] += 1
                }
            case .remove:
                if (existed && gone.insert(apqn).inserted) || (!existed && present.remove(apqn) != nil) {
                    removed[domain, default: 0] += 1
                    if !leftAdapters.contains(apqn.adapter.rawValue) { removedOnStayingAdapter.insert(domain) }
                }
            case .bind, .unbind, .change, .move, .online, .offline:
                break
            }
        }
        for domain in removedOnStayingAdapter
        where host.queueCount(ofDomain: domain) + (added[domain] ?? 0) - (removed[domain] ?? 0) <= 0 {
            leftDomains.insert(domain)
        }
        enteredDomains = enteredDomains.subtracting(leftDomains)
    }
}

/// The causes of configuration changes, naming what rests on inference.
enum ConfigurationCause {
    static func removal(_ removed: APMatrix, readBack: OpenScan.ReadBack, facts: ScanFacts) -> String {
        var parts: [String] = []
        if !removed.adapters.isEmpty {
            if readBack.adapters != nil {
                parts.append("adapter \(removed.adapters.adapterNames) removed from the host AP configuration")
            } else {
                let cards = removed.adapters.map { APID($0).cardName }.joined(separator: ", ")
                parts.append("adapter \(removed.adapters.adapterNames) left the host AP configuration (inferred: \(cards) removed and not re-created)")
            }
        }
        if !removed.domains.isEmpty {
            if readBack.domains != nil {
                parts.append("domain \(removed.domains.domainNames) removed from the host AP configuration")
            } else {
                parts.append("domain \(removed.domains.domainNames) left the host AP configuration (inferred: its queues were removed on every adapter)")
            }
        }
        if !removed.controlDomains.isEmpty {
            parts.append("control domain \(removed.controlDomains.domainNames) removed from the host AP configuration")
        }
        return parts.joined(separator: "; ")
    }

    static func addition(_ added: APMatrix, readBack: OpenScan.ReadBack) -> String {
        var parts: [String] = []
        if !added.adapters.isEmpty {
            if readBack.adapters != nil {
                parts.append("adapter \(added.adapters.adapterNames) added to the host AP configuration")
            } else {
                parts.append("adapter \(added.adapters.adapterNames) entered the host AP configuration (inferred from the add of its card or queues)")
            }
        }
        if !added.domains.isEmpty {
            if readBack.domains != nil {
                parts.append("domain \(added.domains.domainNames) added to the host AP configuration")
            } else {
                parts.append("domain \(added.domains.domainNames) entered the host AP configuration (inferred from the add of its queues)")
            }
        }
        if !added.controlDomains.isEmpty {
            parts.append("control domain \(added.controlDomains.domainNames) added to the host AP configuration")
        }
        return parts.joined(separator: "; ")
    }
}

extension APMask {
    /// The ids as adapter numbers (`05, 06`).
    var adapterNames: String { map { APID($0).description }.joined(separator: ", ") }
    /// The ids as domain numbers (`0004, 00ab`).
    var domainNames: String { map { APQI($0).description }.joined(separator: ", ") }
}

extension APMatrix {
    /// Whether any adapter, domain or control domain of `other` is in this matrix.
    func intersects(_ other: APMatrix) -> Bool {
        adapters.intersects(other.adapters) || domains.intersects(other.domains)
            || controlDomains.intersects(other.controlDomains)
    }

    /// The ids in both matrices, mask by mask.
    func intersection(_ other: APMatrix) -> APMatrix {
        APMatrix(
            adapters: adapters.intersection(other.adapters), domains: domains.intersection(other.domains),
            controlDomains: controlDomains.intersection(other.controlDomains))
    }
}
