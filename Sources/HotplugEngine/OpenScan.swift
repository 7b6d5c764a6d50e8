import APModel

/// An AP bus scan the engine is following: the card and queue uevents it
/// produced so far, held until the scan ends, and the host configuration
/// (QCI) masks read back while it ran.
///
/// The kernel re-reads QCI at the start of a scan, lets vfio_ap apply the
/// change (`vfio_ap_on_cfg_changed`), walks the adapters in ascending order,
/// and lets vfio_ap filter the mdevs that gained ids once at the end
/// (`vfio_ap_on_scan_complete`), all before the scan's uevents are read. So
/// what a card or queue event means for the guests depends on the events
/// that follow it (kernel-ap.md §7): a queue removal is a TAPQ failure of one
/// APQN, or part of its domain leaving the configuration on every adapter.
/// The engine decides once the scan has ended (``Engine``'s scan rule).
struct OpenScan: Equatable, Sendable {
    /// A card or queue of the AP bus.
    enum Device: Hashable, Sendable {
        case card(APID)
        case queue(APQN)

        var adapter: UInt8 {
            switch self {
            case .card(let id): id.rawValue
            case .queue(let apqn): apqn.adapter.rawValue
            }
        }
    }

    /// One uevent of the scan, as received.
    struct HeldEvent: Equatable, Sendable {
        var uevent: Uevent
        var action: UeventAction
        var device: Device
        var seq: UInt64
    }

    /// The host configuration masks read back during the scan: the kernel's
    /// word, which wins over what the uevents imply.
    struct ReadBack: Hashable, Sendable {
        var adapters: APMask?
        var domains: APMask?
        var controlDomains: APMask?
        /// The seq of the last mask read.
        var seq: UInt64?

        var isEmpty: Bool { adapters == nil && domains == nil && controlDomains == nil }
    }

    private(set) var events: [HeldEvent] = []
    /// Devices added in this scan (their `bind` belongs to it).
    private(set) var added: Set<Device> = []
    var readBack = ReadBack()
    /// The seq of what opened the scan: removals from the configuration happen first.
    let firstSeq: UInt64
    /// The seq of the last held event or read-back: the scan completed there.
    var lastSeq: UInt64
    /// Set by a read-back that follows events: the scan it read for is over,
    /// so the next card or queue event opens another.
    var closed = false
    /// The highest adapter an event was held for: scans walk adapters in ascending order.
    private(set) var highestAdapter: UInt8 = 0

    init(firstSeq: UInt64) {
        self.firstSeq = firstSeq
        self.lastSeq = firstSeq
    }

    /// Whether `device`'s `action` can belong to this scan: the scan is not
    /// over, does not walk back to a lower adapter, and does not take away a
    /// device it added (one scan removes a device before it re-creates it,
    /// never after).
    func accepts(_ action: UeventAction, of device: Device) -> Bool {
        guard !closed, events.isEmpty || device.adapter >= highestAdapter else { return false }
        switch action {
        case .unbind, .remove, .add: return !added.contains(device)
        case .bind, .change, .move, .online, .offline: return true
        }
    }

    /// Whether `device` was added in this scan.
    func hasAdded(_ device: Device) -> Bool { added.contains(device) }

    mutating func hold(_ event: HeldEvent) {
        if event.action == .add { added.insert(event.device) }
        highestAdapter = max(highestAdapter, event.device.adapter)
        lastSeq = event.seq
        events.append(event)
    }

    mutating func noteReadBack(seq: UInt64) {
        if !events.isEmpty { closed = true }
        if events.isEmpty { lastSeq = seq }
    }

    /// Whether a held event can change what the engine believes about the
    /// configuration (an add or a remove); otherwise the scan only replays.
    var changesDevices: Bool { events.contains { $0.action == .add || $0.action == .remove } }
}
