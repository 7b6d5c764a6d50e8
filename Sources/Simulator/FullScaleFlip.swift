import APModel

/// The full-scale benchmark input (design.md, "Performance targets"): a host
/// with every adapter and domain (256 × 256 = 65,536 queues, all CEX8 CCA,
/// all host-owned and bound to `cex4queue`), vfio_ap loaded, a few mdevs
/// with guests, and then `echo 0x > /sys/bus/ap/apmask`, which hands all
/// 65,536 queues to vfio_ap: 131,072 `unbind`+`bind` events and one `APMASK`.
///
/// - Important: the kernel forbids assigning a host-owned APQN to an mdev
///   (EADDRNOTAVAIL) and taking an assigned APQN back (EBUSY), so before the
///   flip the mdevs can only have adapters (or domains) assigned on their
///   own, never both: each mdev gets a slice of the adapters and one control
///   domain. The flip therefore plugs nothing; a consumer that wants plugs
///   assigns domains afterwards (no uevents), as an administrator would.
public struct FullScaleFlip: Sendable {
    /// The host before the flip.
    public var initial: SimulatedKernel
    /// The flip: the unbind/bind pairs, `APMASK`, then the observations.
    public var records: [SimulationRecord]
    /// The host after the flip.
    public var final: SimulatedKernel
    /// What the flip touched (every queue and the bus attributes): updates a
    /// tree written from ``initial`` to ``final``.
    public var touched: TouchedDevices

    /// Builds the host and performs the flip, in memory.
    ///
    /// - Parameters:
    ///   - adapters: adapters 0..<adapters in the LPAR (at most 256).
    ///   - domains: usage and control domains 0..<domains (at most 256).
    ///   - mdevs: mdevs (at most `adapters`), each with a contiguous slice of
    ///     the adapters and control domain i assigned and guest `guest<i>` attached.
    public init(adapters: Int = 256, domains: Int = 256, mdevs: Int = 4) {
        precondition((1...256).contains(adapters) && (1...256).contains(domains) && (0...adapters).contains(mdevs),
                     "FullScaleFlip needs 1...256 adapters and domains and at most one mdev per adapter.")
        let usage = APMask(range: 0...UInt8(domains - 1))
        let host = HostConfiguration(masks: APMatrix(
            adapters: APMask(range: 0...UInt8(adapters - 1)), domains: usage, controlDomains: usage
        ))
        var simulation = Simulation(kernel: SimulatedKernel(configuration: host))
        var setup: [Operation] = [.boot, .load(.vfioAP)]
        for index in 0..<mdevs {
            let uuid = Self.mdevUUID(index)
            setup.append(.createMdev(uuid.description))
            for adapter in (index * adapters / mdevs)..<((index + 1) * adapters / mdevs) {
                setup.append(.writeMdev(uuid, .assignAdapter, String(adapter)))
            }
            setup.append(.writeMdev(uuid, .assignControlDomain, String(index % domains)))
            setup.append(.attachGuest(uuid, guest: "guest\(index)"))
        }
        do {
            for operation in setup { _ = try simulation.perform(operation) }
            let initial = simulation.kernel
            let flip = try simulation.perform(.writeMask(.apmask, "0x"))
            self.initial = initial
            self.records = flip.records
            self.final = simulation.kernel
            self.touched = flip.touched
        } catch {
            preconditionFailure("The full-scale setup is valid by construction, yet the kernel refused it: \(error)")
        }
    }

    /// The UUID of mdev `index`: `f1f1f1f1-0000-4000-8000-<index as 12 hex digits>`.
    public static func mdevUUID(_ index: Int) -> MdevUUID {
        let digits = String(index, radix: 16)
        guard let uuid = MdevUUID("f1f1f1f1-0000-4000-8000-" + String(repeating: "0", count: 12 - digits.count) + digits) else {
            preconditionFailure("mdev index \(index) does not fit a UUID.")
        }
        return uuid
    }

    /// The flip's uevents, in order.
    public var uevents: [Uevent] {
        records.compactMap { record in
            if case .uevent(let event, _) = record { return event }
            return nil
        }
    }

    /// The flip as `udevadm monitor --kernel --property` text.
    public var udevadmText: String { UdevadmMonitorText.render(records) }
}
