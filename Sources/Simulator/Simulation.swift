import APModel

/// A simulated host as a trace producer: a ``SimulatedKernel``, a
/// deterministic fake clock, and the attribute values userspace last read.
///
/// Each ``perform(_:)`` turns one operation into trace records: the
/// kernel's uevents (each 20 µs after the previous, operations 1 s apart,
/// starting at 100 s), guest changes, and then an `observe` record for every
/// watched attribute whose content changed. Assignment changes have no
/// uevents, so those observations are how a trace consumer learns them.
/// An operation that emitted uevents ends with a `settled` record.
/// The host configuration masks (QCI) are read back after the uevents, as the
/// daemon reads them once a burst has settled (the kernel updated its QCI data
/// before the scan's first event, so the read shows the configuration the
/// scan worked with).
public struct Simulation: Sendable {
    /// The kernel model.
    public private(set) var kernel: SimulatedKernel
    /// The fake clock in microseconds.
    public private(set) var clock: UInt64 = 100_000_000
    /// The kernel log (dmesg) of the last operation, also when it failed.
    public private(set) var kernelLog: [String] = []
    /// Watched path → content last reported.
    private var observed: [String: String] = [:]

    /// What one operation produced.
    public struct Step: Sendable {
        /// Uevents and guest changes in order, then observations.
        public var records: [SimulationRecord]
        /// What changed, for an incremental sysfs tree update.
        public var touched: TouchedDevices
    }

    /// Starts from `kernel`; its current attribute values count as known.
    public init(kernel: SimulatedKernel = SimulatedKernel()) {
        self.kernel = kernel
        self.observed = Self.watchedValues(of: kernel)
    }

    static let operationGap: UInt64 = 1_000_000
    static let eventGap: UInt64 = 20

    /// Performs `operation`. On failure nothing changed and no record exists.
    public mutating func perform(_ operation: Operation) throws(OperationFailure) -> Step {
        do {
            try kernel.apply(operation)
        } catch {
            kernelLog = kernel.takeLog()
            throw error
        }
        kernelLog = kernel.takeLog()
        clock += Self.operationGap
        let output = kernel.takeOutput()
        var records: [SimulationRecord] = []
        records.reserveCapacity(output.count + 8)
        for item in output {
            switch item {
            case .uevent(let event):
                clock += Self.eventGap
                records.append(.uevent(event, microseconds: clock))
            case .guest(let action, let mdev, let name):
                records.append(.guest(action, mdev: mdev, name: name))
            }
        }
        let touched = kernel.takeTouched()
        records.append(contentsOf: observeChanges(paths: Self.configurationPaths))
        records.append(contentsOf: observeChanges(touched))
        if output.contains(where: { if case .uevent = $0 { true } else { false } }) { records.append(.settled) }
        return Step(records: records, touched: touched)
    }

    /// Observation records for the watched attributes that `touched` may
    /// have changed and whose content differs from the last report.
    private mutating func observeChanges(_ touched: TouchedDevices) -> [SimulationRecord] {
        var records: [SimulationRecord] = []
        if touched.bus {
            for (path, value) in Self.busValues(of: kernel) where observed[path] != value && !Self.configurationPaths.contains(path) {
                observed[path] = value
                records.append(.observe(path: path, value: value))
            }
        }
        for uuid in touched.mdevs.sorted() {
            guard let mdev = kernel.mdev(uuid) else {
                for path in Self.mdevPaths(uuid) { observed[path] = nil }
                continue
            }
            for (path, value) in Self.mdevValues(of: mdev) where observed[path] != value {
                observed[path] = value
                records.append(.observe(path: path, value: value))
            }
        }
        return records
    }

    /// The host configuration (QCI) masks.
    static let configurationPaths: Set<String> = [
        "/sys/bus/ap/ap_adapter_mask", "/sys/bus/ap/ap_usage_domain_mask", "/sys/bus/ap/ap_control_domain_mask",
    ]

    /// Observation records for the watched bus attributes among `paths` whose content changed.
    private mutating func observeChanges(paths: Set<String>) -> [SimulationRecord] {
        var records: [SimulationRecord] = []
        for (path, value) in Self.busValues(of: kernel) where paths.contains(path) && observed[path] != value {
            observed[path] = value
            records.append(.observe(path: path, value: value))
        }
        return records
    }

    /// Every watched path and its current content.
    static func watchedValues(of kernel: SimulatedKernel) -> [String: String] {
        var values: [String: String] = [:]
        for (path, value) in busValues(of: kernel) { values[path] = value }
        for mdev in kernel.mdevs {
            for (path, value) in mdevValues(of: mdev) { values[path] = value }
        }
        return values
    }

    static func busValues(of kernel: SimulatedKernel) -> [(String, String)] {
        let masks = kernel.configuration.masks
        return [
            ("/sys/bus/ap/ap_adapter_mask", SysfsFormat.qciMask(masks.adapters)),
            ("/sys/bus/ap/ap_usage_domain_mask", SysfsFormat.qciMask(masks.domains)),
            ("/sys/bus/ap/ap_control_domain_mask", SysfsFormat.qciMask(masks.controlDomains)),
            ("/sys/bus/ap/apmask", kernel.apmask.sysfsHex + "\n"),
            ("/sys/bus/ap/aqmask", kernel.aqmask.sysfsHex + "\n"),
        ]
    }

    static func mdevPaths(_ uuid: MdevUUID) -> [String] {
        let directory = "/sys/devices/vfio_ap/matrix/\(uuid)/"
        return [directory + "matrix", directory + "guest_matrix", directory + "control_domains"]
    }

    static func mdevValues(of mdev: MediatedDevice) -> [(String, String)] {
        let paths = mdevPaths(mdev.uuid)
        return [
            (paths[0], mdev.assigned.matrixText),
            (paths[1], mdev.shadow.matrixText),
            (paths[2], mdev.assigned.controlDomainsText),
        ]
    }
}
