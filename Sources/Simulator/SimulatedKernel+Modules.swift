import APModel

extension SimulatedKernel {
    /// `modprobe`: a loaded module is a silent success.
    ///
    /// vfio_ap (§2.3): `add` and `bind` of the matrix device, then its AP
    /// queue driver binds every unbound queue that is not host-owned (bus
    /// order), BINDINGS may complete, and mdev registration sends
    /// `MDEV_STATE=registered`. zcrypt_cex4 registers `cex4card` (binding
    /// every unbound card) and then `cex4queue` (every unbound host-owned
    /// queue), each followed by the bindings check.
    mutating func load(_ module: KernelModule) {
        guard !loadedModules.contains(module) else { return }
        loadedModules.insert(module)
        touched.drivers = true
        switch module {
        case .vfioAP:
            vfio = VfioAPState(host: hardware)
            emit(.add, .matrix)
            emit(.bind, .matrix, driver: APDriver.vfioAP.rawValue)
            for index in queueIndicesInBusOrder() where queues[index]?.driver == nil {
                probeQueue(index, with: .vfioAP)
            }
            checkBindingsComplete()
            emit(.change, .matrix, [Uevent.Property("MDEV_STATE", "registered")], driver: APDriver.vfioAP.rawValue)
        case .zcryptCEX4:
            for id in cardIDsInBusOrder() where cards[Int(id)]?.driver == nil {
                probeCard(id)
            }
            checkBindingsComplete()
            for index in queueIndicesInBusOrder() where queues[index]?.driver == nil {
                probeQueue(index, with: .cex4queue)
            }
            checkBindingsComplete()
        }
    }

    /// `rmmod`: ENOENT when not loaded.
    ///
    /// vfio_ap: EAGAIN ("in use") while a guest holds one of its mdevs;
    /// else every mdev is removed (`unbind`, `remove`), `MDEV_STATE=unregistered`,
    /// the queue driver lets go of its queues in reverse bind order (`unbind`
    /// each; they stay as unbound devices), then `unbind` and `remove` of the
    /// matrix device. zcrypt_cex4: `cex4queue`, then `cex4card`, each in
    /// reverse bind order.
    mutating func unload(_ module: KernelModule) throws(KernelErrno) {
        guard loadedModules.contains(module) else { throw .ENOENT }
        switch module {
        case .vfioAP:
            guard let state = vfio else {
                preconditionFailure("vfio_ap is listed as loaded but has no state.")
            }
            if state.mdevs.contains(where: { $0.guest != nil }) { throw .EAGAIN }
            for mdev in state.mdevs { removeMdevDevice(mdev.uuid) }
            emit(.change, .matrix, [Uevent.Property("MDEV_STATE", "unregistered")], driver: APDriver.vfioAP.rawValue)
            for index in queueIndicesInBindOrder(of: .vfioAP).reversed() { releaseQueue(index) }
            emit(.unbind, .matrix)
            emit(.remove, .matrix)
            vfio = nil
        case .zcryptCEX4:
            for index in queueIndicesInBindOrder(of: .cex4queue).reversed() { releaseQueue(index) }
            var boundCards: [(order: UInt64, id: UInt8)] = []
            for index in cards.indices {
                if let card = cards[index], card.driver == .cex4card { boundCards.append((card.bindOrder, UInt8(index))) }
            }
            for entry in boundCards.sorted(by: { $0.order > $1.order }) { releaseCard(entry.id) }
        }
        loadedModules.remove(module)
        touched.drivers = true
    }

    /// Queues bound to `driver`, in the driver's list order (bind order).
    func queueIndicesInBindOrder(of driver: APDriver) -> [Int] {
        var bound: [(order: UInt64, index: Int)] = []
        for index in queues.indices {
            if let queue = queues[index], queue.driver == driver { bound.append((queue.bindOrder, index)) }
        }
        bound.sort { $0.order < $1.order }
        return bound.map(\.index)
    }
}
