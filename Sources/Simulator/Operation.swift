import APModel

/// One thing that happens to the simulated host: a hardware or firmware
/// change, a module operation, a sysfs write, or a guest opening or closing
/// an mdev. Values written to sysfs are kept verbatim (as `echo` would write
/// them, newline added by ``SimulatedKernel/apply(_:)``) so the kernel's own
/// parsing and errors apply.
public enum Operation: Hashable, Sendable {
    // MARK: Hardware and firmware

    /// The LPAR's AP configuration changes (SE/HMC, DPM). Before boot it
    /// simply is the configuration; after boot the change notification makes
    /// the AP bus scan at once.
    case changeHost(HostChange)
    /// A card of this type and mode sits in the adapter slot (the AP bus
    /// notices a different type or mode at the next scan: remove, then add).
    case installCard(APID, CardType, CardMode)
    /// The card enters or leaves the checkstop state (seen at the next scan;
    /// no uevent).
    case setCheckstop(APID, Bool)
    /// The first AP bus scan after IPL (INITSCAN).
    case boot
    /// An AP bus scan: the `config_time` timer or `echo 1 > /sys/bus/ap/scans`
    /// (a no-op before boot, as in the kernel).
    case scan

    // MARK: Modules

    /// `modprobe <module>`.
    case load(KernelModule)
    /// `rmmod <module>`.
    case unload(KernelModule)

    // MARK: sysfs writes

    /// `echo VALUE > /sys/bus/ap/apmask` (or `aqmask`).
    case writeMask(HostMask, String)
    /// `echo NAME > /sys/bus/ap/drivers/<driver>/bind`.
    case bind(device: String, driver: APDriver)
    /// `echo NAME > /sys/bus/ap/drivers/<driver>/unbind`; with no driver, the
    /// one the device has now (`…/driver/unbind`).
    case unbind(device: String, driver: APDriver?)
    /// `echo VALUE > /sys/devices/ap/<card>/config`.
    case writeCardConfig(card: String, value: String)
    /// `echo UUID > /sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create`.
    case createMdev(String)
    /// `echo 1 > /sys/devices/vfio_ap/matrix/<uuid>/remove`.
    case removeMdev(MdevUUID)
    /// `echo VALUE > /sys/devices/vfio_ap/matrix/<uuid>/<attribute>`.
    case writeMdev(MdevUUID, MdevAttribute, String)

    // MARK: Guests and faults

    /// A guest (QEMU) opens the mdev: `guest` is its name.
    case attachGuest(MdevUUID, guest: String)
    /// The guest closes the mdev (stops, or unplugs the device).
    case detachGuest(MdevUUID)
    /// The queue's last reset ended with this response code (fault injection).
    case failQueueReset(APQN, responseCode: UInt8)
    /// TAPQ gives (`true`) or no longer gives (`false`) information for this
    /// APQN, from the next scan on. Without it `ap_scan_domains` removes the
    /// queue device (`ap_queue_info()` fails); when no configured domain of the
    /// adapter answers, `ap_scan_adapter` removes the card with its queues.
    /// In uevents this looks like the APQN (or the adapter) leaving the
    /// configuration, which it does not.
    case setQueueAnswers(APQN, Bool)
}

/// A change to the LPAR's AP configuration; nil members stay as they are.
public struct HostChange: Hashable, Sendable {
    public var adapters: MaskEdit?
    public var domains: MaskEdit?
    public var controlDomains: MaskEdit?
    /// `Na`; only before boot.
    public var maxAdapterID: UInt8?
    /// `Nd`; only before boot.
    public var maxDomainID: UInt8?

    public init(
        adapters: MaskEdit? = nil, domains: MaskEdit? = nil, controlDomains: MaskEdit? = nil,
        maxAdapterID: UInt8? = nil, maxDomainID: UInt8? = nil
    ) {
        self.adapters = adapters
        self.domains = domains
        self.controlDomains = controlDomains
        self.maxAdapterID = maxAdapterID
        self.maxDomainID = maxDomainID
    }
}

/// How a host configuration mask changes.
public enum MaskEdit: Hashable, Sendable {
    /// Becomes exactly these ids.
    case set(APMask)
    /// Relative terms as the apmask syntax has them (`+5`, `-0x47`,
    /// `+1-3,-2`), applied in order to the current mask.
    case relative(String)

    /// The mask after the edit. Throws for malformed relative terms.
    public func applied(to mask: APMask) throws(APMaskParseError) -> APMask {
        switch self {
        case .set(let ids): return ids
        case .relative(let terms): return try mask.applyingWrite(terms)
        }
    }
}

extension SimulatedKernel {
    /// Whether the first AP bus scan happened.
    public var isBooted: Bool { scans > 0 }

    /// Performs `operation`. On success its uevents and guest changes wait
    /// in ``takeOutput()``; on failure nothing changed and nothing was emitted.
    public mutating func apply(_ operation: Operation) throws(OperationFailure) {
        switch operation {
        case .changeHost(let change):
            try changeHost(change)
        case .installCard(let id, let type, let mode):
            var card = installedCard(id)
            card.type = type
            card.mode = mode
            cardHardware[id.rawValue] = card
        case .setCheckstop(let id, let on):
            var card = installedCard(id)
            card.checkstopped = on
            cardHardware[id.rawValue] = card
        case .boot:
            guard !isBooted else { throw .invalidRequest("the host has already booted") }
            scanBus()
        case .scan:
            if isBooted { scanBus() }
        case .load(let module):
            load(module)
        case .unload(let module):
            try Self.refused { () throws(KernelErrno) in try unload(module) }
        case .writeMask(let mask, let value):
            try Self.refused { () throws(KernelErrno) in try writeMask(mask, value + "\n") }
        case .bind(let device, let driver):
            try Self.refused { () throws(KernelErrno) in try bind(device: device + "\n", driver: driver) }
        case .unbind(let device, let driver):
            try Self.refused { () throws(KernelErrno) in try unbind(device: device + "\n", driver: driver) }
        case .writeCardConfig(let card, let value):
            try Self.refused { () throws(KernelErrno) in try writeCardConfig(card: card, value: value + "\n") }
        case .createMdev(let text):
            try Self.refused { () throws(KernelErrno) in try createMdev(text + "\n") }
        case .removeMdev(let uuid):
            try Self.refused { () throws(KernelErrno) in try removeMdev(uuid, value: "1\n") }
        case .writeMdev(let uuid, let attribute, let value):
            try Self.refused { () throws(KernelErrno) in try writeMdevAttribute(uuid, attribute, value + "\n") }
        case .attachGuest(let uuid, let guest):
            try Self.refused { () throws(KernelErrno) in try attachGuest(uuid, name: guest) }
        case .detachGuest(let uuid):
            var detached = false
            try Self.refused { () throws(KernelErrno) in detached = try detachGuest(uuid) }
            guard detached else { throw .invalidRequest("no guest holds mdev \(uuid)") }
        case .setQueueAnswers(let apqn, let answers):
            if answers { silentQueues.remove(apqn.index) } else { silentQueues.insert(apqn.index) }
        case .failQueueReset(let apqn, let code):
            guard injectResetResult(apqn, code: code) else {
                throw .invalidRequest("queue \(apqn) is not bound to vfio_ap, so it has no reset status")
            }
        }
    }

    /// Runs a kernel request, turning its errno into ``OperationFailure/kernel(_:)``.
    private static func refused(_ request: () throws(KernelErrno) -> Void) throws(OperationFailure) {
        do {
            try request()
        } catch {
            throw .kernel(error)
        }
    }

    private mutating func changeHost(_ change: HostChange) throws(OperationFailure) {
        var next = hardware
        do {
            if let edit = change.adapters { next.masks.adapters = try edit.applied(to: next.masks.adapters) }
            if let edit = change.domains { next.masks.domains = try edit.applied(to: next.masks.domains) }
            if let edit = change.controlDomains {
                next.masks.controlDomains = try edit.applied(to: next.masks.controlDomains)
            }
        } catch {
            throw .invalidRequest("host configuration: \(error.description)")
        }
        if change.maxAdapterID != nil || change.maxDomainID != nil {
            guard !isBooted else {
                throw .invalidRequest("ap_max_adapter_id and ap_max_domain_id are fixed at boot")
            }
            next.maxAdapterID = change.maxAdapterID ?? next.maxAdapterID
            next.maxDomainID = change.maxDomainID ?? next.maxDomainID
        }
        hardware = next
        if isBooted {
            scanBus()
        } else {
            // Before the first scan the configuration simply is what IPL found.
            configuration = next
            vfio?.host = next
            touched.bus = true
        }
    }
}
