import APModel

// Device registration and removal on the AP bus (`device_register`,
// `device_unregister`), in the driver core's order: `add`, then the probe and
// `bind`; on removal the driver's remove callback, `unbind`, then `remove`.
extension SimulatedKernel {
    /// Registers card `id` (`add`), then lets the matching driver probe it.
    mutating func registerCard(_ id: UInt8, hardware: CardHardware) {
        registrationCounter += 1
        cards[Int(id)] = CardDevice(
            type: hardware.type, mode: hardware.mode, configured: !hardware.deconfigured,
            checkstopped: !hardware.deconfigured && hardware.checkstopped, driver: nil,
            registration: registrationCounter
        )
        touched.cards.insert(id)
        emit(.add, .card(APID(id)))
        if loadedModules.contains(.zcryptCEX4) { probeCard(id) }
    }

    /// Registers queue `index` (`add`), then lets the owning driver probe it.
    mutating func registerQueue(_ index: Int, configured: Bool, checkstopped: Bool) {
        registrationCounter += 1
        queues[index] = QueueDevice(
            configured: configured, checkstopped: checkstopped, binding: .unbound, registration: registrationCounter
        )
        touched.queues.insert(index)
        touched.bus = true
        emit(.add, .queue(APQN(index: index)))
        attachDriver(toQueue: index)
    }

    /// `device_unregister` of a queue: release its driver (`unbind`), then `remove`.
    mutating func unregisterQueue(_ index: Int) {
        if queues[index]?.driver != nil { releaseQueue(index) }
        emit(.remove, .queue(APQN(index: index)))
        queues[index] = nil
        touched.queues.insert(index)
        touched.bus = true
    }

    /// `ap_scan_rm_card_dev_and_queue_devs`: the card's queues in bus order,
    /// then the card itself.
    mutating func unregisterCardAndQueues(_ id: UInt8) {
        for index in queueIndicesInBusOrder(ofCard: id) {
            unregisterQueue(index)
        }
        if cards[Int(id)]?.driver != nil { releaseCard(id) }
        emit(.remove, .card(APID(id)))
        cards[Int(id)] = nil
        touched.cards.insert(id)
    }

    /// The queue devices in the bus's device-list order (registration order),
    /// the order of `bus_for_each_dev`.
    func queueIndicesInBusOrder() -> [Int] {
        var present: [(registration: UInt64, index: Int)] = []
        for index in queues.indices {
            if let queue = queues[index] { present.append((queue.registration, index)) }
        }
        present.sort { $0.registration < $1.registration }
        return present.map(\.index)
    }

    /// The queue devices of one card in bus order.
    func queueIndicesInBusOrder(ofCard id: UInt8) -> [Int] {
        let first = Int(id) << 8
        var present: [(registration: UInt64, index: Int)] = []
        for index in first..<(first + 256) {
            if let queue = queues[index] { present.append((queue.registration, index)) }
        }
        present.sort { $0.registration < $1.registration }
        return present.map(\.index)
    }

    /// The card devices in registration order.
    func cardIDsInBusOrder() -> [UInt8] {
        var present: [(registration: UInt64, id: UInt8)] = []
        for index in cards.indices {
            if let card = cards[index] { present.append((card.registration, UInt8(index))) }
        }
        present.sort { $0.registration < $1.registration }
        return present.map(\.id)
    }
}

// MARK: - Probing and releasing drivers

extension SimulatedKernel {
    /// `device_attach` for a queue: the loaded driver that may own it probes it.
    mutating func attachDriver(toQueue index: Int) {
        let driver: APDriver = isHostOwned(APQN(index: index)) ? .cex4queue : .vfioAP
        guard loadedModules.contains(driver.module) else { return }
        probeQueue(index, with: driver)
    }

    /// `ap_device_probe` of a queue: the ownership gate, then the driver's
    /// probe, then `bind`. Returns false (ENODEV, nothing emitted, the
    /// completion not re-armed) when the driver may not own the queue.
    @discardableResult
    mutating func probeQueue(_ index: Int, with driver: APDriver) -> Bool {
        let apqn = APQN(index: index)
        guard driver.isDefault == isHostOwned(apqn) else { return false }
        bindingsComplete = false
        bindCounter += 1
        queues[index]?.bindOrder = bindCounter
        touched.queues.insert(index)
        touched.bus = true
        switch driver {
        case .cex4queue:
            setBinding(index, .cex4queue)
        case .vfioAP:
            setBinding(index, .vfioAP(resetResponseCode: 0))
            vfioProbeQueue(apqn)
        case .cex4card:
            preconditionFailure("cex4card was asked to probe queue \(apqn); it only matches cards.")
        }
        emit(.bind, .queue(apqn))
        return true
    }

    /// `__device_release_driver` of a queue: the driver's remove callback,
    /// then `unbind` without `DRIVER`.
    mutating func releaseQueue(_ index: Int) {
        guard let queue = queues[index] else {
            preconditionFailure("Released the driver of queue \(APQN(index: index)), which does not exist.")
        }
        switch queue.binding {
        case .unbound:
            preconditionFailure("Released the driver of queue \(APQN(index: index)), which has none.")
        case .cex4queue:
            break
        case .vfioAP:
            vfioRemoveQueue(APQN(index: index))
        }
        setBinding(index, .unbound)
        touched.queues.insert(index)
        touched.bus = true
        emit(.unbind, .queue(APQN(index: index)))
    }

    /// cex4card's probe (cards are not gated by the masks).
    mutating func probeCard(_ id: UInt8) {
        bindingsComplete = false
        bindCounter += 1
        cards[Int(id)]?.driver = .cex4card
        cards[Int(id)]?.bindOrder = bindCounter
        touched.cards.insert(id)
        emit(.bind, .card(APID(id)))
    }

    mutating func releaseCard(_ id: UInt8) {
        cards[Int(id)]?.driver = nil
        touched.cards.insert(id)
        emit(.unbind, .card(APID(id)))
    }

    /// Changes a queue's binding and keeps ``passableDomains`` in step.
    mutating func setBinding(_ index: Int, _ binding: QueueBinding) {
        queues[index]?.binding = binding
        let apqn = APQN(index: index)
        let passable: Bool
        switch binding {
        case .unbound, .cex4queue: passable = false
        case .vfioAP(let code): passable = code == 0x00 || code == 0x03 || code == 0x04
        }
        if passable {
            passableDomains[Int(apqn.adapter.rawValue)].insert(apqn.domain.rawValue)
        } else {
            passableDomains[Int(apqn.adapter.rawValue)].remove(apqn.domain.rawValue)
        }
    }

    /// `ap_check_bindings_complete`: after a scan or a driver registration,
    /// `BINDINGS=complete` on the transition to every queue device bound.
    mutating func checkBindingsComplete() {
        guard scans >= 1, !bindingsComplete else { return }
        let counts = bindings
        guard counts.bound == counts.total else { return }
        bindingsComplete = true
        bindingsCompleteCount += 1
        touched.bus = true
        emit(.change, .busRoot, [
            Uevent.Property("BINDINGS", "complete"),
            Uevent.Property("COMPLETECOUNT", String(bindingsCompleteCount)),
        ])
    }
}
