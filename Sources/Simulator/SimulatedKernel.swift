import APModel

/// A model of the kernel side of s390 AP passthrough: the AP bus, zcrypt's
/// `cex4card`/`cex4queue` drivers, vfio_ap (queue driver, matrix device, mdev
/// type) and the mdev core. A pure value: operations go in through
/// ``apply(_:)``, uevents and guest changes come out through ``takeOutput()``.
///
/// It implements the rules of `kernel-ap.md` §2–§4 on its own (it shares no
/// evaluation code with the engine, so the two check each other) for a
/// **current kernel (~6.16)**: `ap_config` and `features`, the async reset
/// status in the filter (deconfigured and checkstopped queues stay passable),
/// BINDINGS=complete only on the transition to complete, and the pre-6.19
/// `in_use` check (only the APQNs that change owner are checked). It has no
/// `driver_override` (6.19) and always has QCI (APXA, `Na`/`Nd` as configured).
///
/// The hardware side (what QCI and TAPQ would answer) is separate from what
/// the AP bus has seen: hardware changes reach the bus at the next scan.
public struct SimulatedKernel: Sendable {
    // MARK: Hardware

    /// What QCI answers now.
    public internal(set) var hardware: HostConfiguration
    /// Installed cards that differ from the default (a CEX8 in CCA mode).
    var cardHardware: [UInt8: CardHardware] = [:]
    /// APQNs (by index) for which TAPQ gives no information (``Operation/setQueueAnswers(_:_:)``).
    var silentQueues: Set<Int> = []

    // MARK: AP bus

    /// `ap_qci_info`: the configuration as of the last scan (what
    /// `ap_adapter_mask` & co. show).
    public internal(set) var configuration: HostConfiguration
    /// `/sys/bus/ap/apmask`.
    public internal(set) var apmask: APMask = .all
    /// `/sys/bus/ap/aqmask`.
    public internal(set) var aqmask: APMask = .all
    /// `scans`: completed AP bus scans; 0 until the host booted.
    public internal(set) var scans: UInt64 = 0
    /// The last `COMPLETECOUNT` sent (`bindings_complete_count`).
    public internal(set) var bindingsCompleteCount: UInt64 = 0
    /// The `SEQNUM` of the last uevent.
    public internal(set) var seqnum: UInt64 = 0
    /// `ap_domain`: the default domain, -1 until a scan found one.
    public internal(set) var defaultDomain: Int = -1
    /// `ap_apqn_bindings_complete` is done (re-armed by every gated probe and
    /// by new adapters or domains in the configuration).
    var bindingsComplete = false
    var cards: [CardDevice?] = Array(repeating: nil, count: 256)
    var queues: [QueueDevice?] = Array(repeating: nil, count: 65_536)
    var registrationCounter: UInt64 = 0
    var bindCounter: UInt64 = 0

    // MARK: Modules

    /// Loaded modules; `zcrypt_cex4` is loaded from the start.
    public internal(set) var loadedModules: Set<KernelModule> = [.zcryptCEX4]
    /// vfio_ap's state while the module is loaded.
    var vfio: VfioAPState?
    /// Per adapter: the domains whose queue is bound to vfio_ap and passable
    /// (last reset response code 0, 3 or 4). Kept up to date on every
    /// binding and reset so that a filter costs one mask test per adapter.
    var passableDomains: [APMask] = Array(repeating: APMask(), count: 256)

    // MARK: Output

    var output: [KernelOutput] = []
    var touched = TouchedDevices()
    var log: [String] = []

    /// A host with `configuration` in its LPAR, every card a CEX8 in CCA
    /// mode, zcrypt loaded, vfio_ap not loaded, not yet booted (no devices).
    public init(configuration: HostConfiguration = HostConfiguration()) {
        self.hardware = configuration
        self.configuration = configuration
        touched.bus = true
        touched.drivers = true
    }
}

// MARK: - Reading the state

extension SimulatedKernel {
    /// The card device, nil when the AP bus has none.
    public func card(_ id: APID) -> CardDevice? { cards[Int(id.rawValue)] }

    /// The queue device, nil when the AP bus has none.
    public func queue(_ apqn: APQN) -> QueueDevice? { queues[apqn.index] }

    /// The installed card in slot `id` (TAPQ's view, which the bus learns at scans).
    public func installedCard(_ id: APID) -> CardHardware { cardHardware[id.rawValue] ?? CardHardware() }

    /// The vfio_ap mdevs in creation order; empty when vfio_ap is not loaded.
    public var mdevs: [MediatedDevice] { vfio?.mdevs ?? [] }

    /// The mdev, nil when there is none.
    public func mdev(_ uuid: MdevUUID) -> MediatedDevice? { vfio?.mdevs.first { $0.uuid == uuid } }

    /// Whether the matrix device exists (vfio_ap loaded).
    public var hasMatrixDevice: Bool { vfio != nil }

    /// APQN is reserved for the default drivers (`apmask[a] && aqmask[d]`).
    public func isHostOwned(_ apqn: APQN) -> Bool {
        apmask.contains(apqn.adapter.rawValue) && aqmask.contains(apqn.domain.rawValue)
    }

    /// `bindings`: bound queue devices and all queue devices.
    public var bindings: (bound: Int, total: Int) {
        var bound = 0
        var total = 0
        for case let queue? in queues {
            total += 1
            if queue.driver != nil { bound += 1 }
        }
        return (bound, total)
    }

    /// The queue devices that exist, ascending.
    public var queueIDs: [APQN] {
        queues.indices.compactMap { queues[$0] == nil ? nil : APQN(index: $0) }
    }

    /// The card devices that exist, ascending.
    public var cardIDs: [APID] {
        cards.indices.compactMap { cards[$0] == nil ? nil : APID(UInt8($0)) }
    }

    /// The `status` vfio_ap shows for a queue bound to it (§4.12, current
    /// kernels): `in use` when its mdev is attached and the APQN is in the
    /// shadow, `assigned` when some mdev has it assigned, else `unassigned`.
    /// Nil when the queue is not bound to vfio_ap (no such attribute).
    public func vfioStatus(_ apqn: APQN) -> String? {
        guard case .vfioAP? = queues[apqn.index]?.binding else { return nil }
        guard let owner = vfio?.owner(of: apqn) else { return "unassigned" }
        if owner.guest != nil && owner.shadow.contains(apqn) { return "in use" }
        return "assigned"
    }
}

// MARK: - Draining what happened

extension SimulatedKernel {
    /// The uevents and guest changes since the last call, in order.
    public mutating func takeOutput() -> [KernelOutput] {
        defer { output = [] }
        return output
    }

    /// The devices changed since the last call.
    public mutating func takeTouched() -> TouchedDevices {
        defer { touched = TouchedDevices() }
        return touched
    }

    /// Kernel log lines (dmesg) since the last call, e.g. why an `apmask`
    /// write got EBUSY.
    public mutating func takeLog() -> [String] {
        defer { log = [] }
        return log
    }

    /// Appends a kernel log line; at most 16 per operation are kept, then one
    /// summary line, so a 65,536-APQN conflict stays readable.
    mutating func kernelLog(_ line: String) {
        if log.count < 16 {
            log.append(line)
        } else if log.count == 16 {
            log.append("(further messages suppressed)")
        }
    }
}
