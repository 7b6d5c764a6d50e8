import APModel

/// Which AP bus permission mask a write goes to.
public enum HostMask: String, Hashable, Sendable, CaseIterable {
    /// `/sys/bus/ap/apmask` (adapters).
    case apmask
    /// `/sys/bus/ap/aqmask` (domains).
    case aqmask
}

extension SimulatedKernel {
    /// `apmask_store`/`aqmask_store` (§3.4), pre-6.19 semantics.
    ///
    /// Parses `text` (absolute hex or relative `±N[-M]` terms); EINVAL and no
    /// change on bad syntax. An unchanged mask is a silent success. Setting
    /// bits (taking APQNs back to the host) fails with EBUSY, atomically, when
    /// an mdev has one of the APQNs that change owner assigned. Otherwise the
    /// mask is committed, every bound queue whose owner changed is reprobed
    /// (`unbind`, then `bind` by the other driver if it is loaded), and the
    /// `APMASK=`/`AQMASK=` change event comes last, its value ending in `\n`.
    mutating func writeMask(_ mask: HostMask, _ text: String) throws(KernelErrno) {
        let current: APMask
        switch mask {
        case .apmask: current = apmask
        case .aqmask: current = aqmask
        }
        let updated: APMask
        do {
            updated = try current.applyingWrite(text)
        } catch {
            throw .EINVAL
        }
        guard updated != current else { return }
        let reserved = updated.subtracting(current)
        if !reserved.isEmpty, let state = vfio {
            let changing: APMatrix
            switch mask {
            case .apmask: changing = APMatrix(adapters: reserved, domains: aqmask)
            case .aqmask: changing = APMatrix(adapters: apmask, domains: reserved)
            }
            var inUse = false
            for mdev in state.mdevs where mdev.assigned.overlaps(changing) {
                inUse = true
                let overlap = APMatrix(
                    adapters: mdev.assigned.adapters.intersection(changing.adapters),
                    domains: mdev.assigned.domains.intersection(changing.domains)
                )
                for apqn in overlap.apqns {
                    kernelLog("vfio_ap: Can not reserve queue \(apqn) for host driver: in use by mdev \(mdev.uuid)")
                }
            }
            if inUse { throw .EBUSY }
        }
        switch mask {
        case .apmask: apmask = updated
        case .aqmask: aqmask = updated
        }
        touched.bus = true
        reviseBindings()
        let key: String
        switch mask {
        case .apmask: key = "APMASK"
        case .aqmask: key = "AQMASK"
        }
        emit(.change, .busRoot, [Uevent.Property(key, updated.sysfsHex + "\n")])
    }

    /// `ap_bus_revise_bindings`: in bus order, every bound queue whose
    /// driver's default flag no longer matches its ownership is reprobed.
    ///
    /// - Important: the kernel's loop reads the driver of unbound queues too
    ///   (a NULL dereference that s390's lowcore makes survivable); the
    ///   simulator skips unbound queues, which then stay unbound until a
    ///   driver load, manual bind or new device probes them.
    mutating func reviseBindings() {
        for index in queueIndicesInBusOrder() {
            guard let driver = queues[index]?.driver, driver.isDefault != isHostOwned(APQN(index: index)) else {
                continue
            }
            releaseQueue(index)
            attachDriver(toQueue: index)
        }
    }
}
