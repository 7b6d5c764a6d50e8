import APModel

extension Engine {
    /// Validates a uevent at the edge and dispatches it by subsystem and device.
    /// Subsystems other than ap, matrix and mdev (vfio, vfio-dev, module,
    /// drivers) carry nothing the engine needs and are passed over silently.
    mutating func handleUevent(_ uevent: Uevent, position: UInt64) -> [Decision] {
        let fields = UeventFields(uevent)
        let seq = fields.seqnum ?? position
        guard let actionText = fields.action, let devpath = fields.devpath, let subsystem = fields.subsystem else {
            return [anomaly(seq, "malformed uevent: ACTION, DEVPATH and SUBSYSTEM are required")]
        }
        guard subsystem == "ap" || subsystem == "matrix" || subsystem == "mdev" else { return [] }
        guard let action = UeventAction(text: actionText) else {
            return [anomaly(seq, "unknown action '\(actionText)' for \(devpath)")]
        }
        guard let device = APDevice(devpath: devpath) else {
            return [anomaly(seq, "\(subsystem) event for \(devpath), which is no AP card, queue, matrix or mdev device")]
        }
        switch device {
        case .busRoot:
            return endScan() + busRootEvent(action, uevent, seq: seq)
        case .card(let id):
            guard isScanEvent(action, .card(id)) else { return endScan() + cardEvent(action, id, uevent, seq: seq) }
            return holdScanEvent(action, .card(id), uevent, seq: seq)
        case .queue(let apqn):
            guard isScanEvent(action, .queue(apqn)) else {
                return endScan() + queueEvent(action, apqn, uevent, driver: fields.driver, seq: seq)
            }
            return holdScanEvent(action, .queue(apqn), uevent, seq: seq)
        case .matrix:
            return endScan() + matrixDeviceEvent(action, seq: seq)
        case .mdev(let uuid):
            return endScan() + mdevEvent(action, uuid, seq: seq)
        }
    }

    // MARK: /devices/ap

    private mutating func busRootEvent(_ action: UeventAction, _ uevent: Uevent, seq: UInt64) -> [Decision] {
        guard action == .change else { return [] }
        if uevent["BINDINGS"] == "complete", let countText = uevent["COMPLETECOUNT"] {
            guard let count = UInt64(countText) else {
                return [anomaly(seq, "COMPLETECOUNT '\(countText)' is not a number")]
            }
            defer { lastCompleteCount = count }
            if let last = lastCompleteCount {
                // `count - last`, not `last + 1`: both come from outside and may be 2^64-1.
                if count > last && count - last > 1 {
                    return [Decision(seq: seq, kind: .resync,
                                     cause: "COMPLETECOUNT jumped from \(last) to \(count): events were lost; rescan sysfs")]
                }
                if count <= last {
                    return [anomaly(seq, "COMPLETECOUNT went from \(last) back to \(count) (AP bus restarted?)")]
                }
            }
            return []
        }
        for mask in OwnershipMask.allCases {
            if let text = uevent[mask.ueventKey] { return maskEvent(text, mask, seq: seq) }
        }
        return []
    }

    /// APMASK/AQMASK arrive after the rebinds they caused (kernel order), so
    /// the queues' drivers are already right; only host ownership changes.
    mutating func maskEvent(_ text: String, _ which: OwnershipMask, seq: UInt64) -> [Decision] {
        let name = which.ueventKey
        let trimmed = text.trimmingTrailingWhitespace
        guard trimmed.hasPrefix("0x"), let mask = try? APMask(sysfsHex: trimmed) else {
            return [anomaly(seq, "\(name) '\(trimmed)' is not 0x and 64 hex digits")]
        }
        let old: APMask
        switch which {
        case .adapters:
            old = host.apmask
            host.apmask = mask
        case .domains:
            old = host.aqmask
            host.aqmask = mask
        }
        if mask != old { assignabilityChangedAt = seq }
        return []
    }

    // MARK: /devices/ap/cardAA

    mutating func cardEvent(_ action: UeventAction, _ id: APID, _ uevent: Uevent, seq: UInt64) -> [Decision] {
        let existing = host.cards[id]
        switch action {
        case .add:
            // A second add for a known card is the coldplug race (monitor armed before enumeration).
            guard existing == nil else { return [] }
            let type = uevent["DEV_TYPE"].flatMap { Int($0, radix: 16) } ?? 0
            host.setCard(id, HostModel.CardSlot(hardwareType: type, driver: nil, configured: true))
            return []
        case .bind:
            var decisions: [Decision] = []
            var card = existing ?? HostModel.CardSlot(hardwareType: 0, driver: nil, configured: true)
            if existing == nil { decisions.append(anomaly(seq, "bind of \(id.cardName), which was never added")) }
            card.driver = uevent.driver
            host.setCard(id, card)
            return decisions
        case .unbind:
            guard var card = existing else { return [anomaly(seq, "unbind of \(id.cardName), which is unknown")] }
            card.driver = nil
            host.setCard(id, card)
            return []
        case .remove:
            guard existing != nil else { return [anomaly(seq, "remove of \(id.cardName), which is unknown")] }
            host.setCard(id, nil)
            return []
        case .change:
            guard var card = existing else { return [anomaly(seq, "change of \(id.cardName), which is unknown")] }
            if let config = uevent["CONFIG"] {
                guard config == "0" || config == "1" else { return [anomaly(seq, "CONFIG=\(config) on \(id.cardName)")] }
                card.configured = config == "1"
                host.setCard(id, card)
            }
            return []
        case .move, .online, .offline:
            return [anomaly(seq, "unexpected \(action.rawValue) of \(id.cardName)")]
        }
    }

    // MARK: /devices/ap/cardAA/AA.DDDD

    mutating func queueEvent(
        _ action: UeventAction, _ apqn: APQN, _ uevent: Uevent, driver name: String?, seq: UInt64
    ) -> [Decision] {
        let slot = host.queue(apqn)
        switch action {
        case .add:
            // A second add is the coldplug race: already known from the scan.
            host.setQueuePresent(apqn, true)
            return []
        case .bind:
            guard let name else { return [anomaly(seq, "bind of \(apqn) without DRIVER")] }
            var decisions: [Decision] = []
            if !slot.present {
                decisions.append(anomaly(seq, "bind of queue \(apqn), which was never added"))
                host.setQueuePresent(apqn, true)
            }
            let driver = host.driverID(name)
            host.setQueueDriver(apqn, driver)
            if driver == HostModel.vfioDriver || slot.driver == HostModel.vfioDriver {
                decisions += rejudge(
                    apqn.adapter, seq: seq, cause: "queue \(apqn) bound to \(name)", filters: driver == HostModel.vfioDriver,
                    boundQueue: apqn)
            }
            return decisions
        case .unbind:
            guard slot.present else { return [anomaly(seq, "unbind of queue \(apqn), which is unknown")] }
            guard slot.driver != HostModel.noDriver else {
                return [anomaly(seq, "unbind of queue \(apqn), which had no driver")]
            }
            return queueUnbound(apqn, previous: slot.driver, seq: seq, cause: "queue \(apqn) unbound from ")
        case .remove:
            guard slot.present else { return [anomaly(seq, "remove of queue \(apqn), which is unknown")] }
            var decisions: [Decision] = []
            if slot.driver != HostModel.noDriver {
                // The kernel always sends unbind before remove: one was lost.
                decisions.append(anomaly(seq, "remove of queue \(apqn) while bound to \(host.driverName(slot.driver) ?? "?") (no unbind seen)"))
                decisions += queueUnbound(apqn, previous: slot.driver, seq: seq, cause: "queue \(apqn) removed from ")
            }
            host.setQueuePresent(apqn, false)
            return decisions
        case .change:
            guard slot.present else { return [anomaly(seq, "change of queue \(apqn), which is unknown")] }
            if let config = uevent["CONFIG"] {
                guard config == "0" || config == "1" else { return [anomaly(seq, "CONFIG=\(config) on queue \(apqn)")] }
                // Deconfigured queues still count as passable (§4.3): the guest keeps them.
                host.setQueueState(apqn, configured: config == "1")
            }
            return []
        case .move, .online, .offline:
            return [anomaly(seq, "unexpected \(action.rawValue) of queue \(apqn)")]
        }
    }

    /// `cause` is built only when the queue was vfio_ap's (most unbinds of a flip are not).
    private mutating func queueUnbound(_ apqn: APQN, previous: UInt8, seq: UInt64, cause: @autoclosure () -> String) -> [Decision] {
        host.setQueueDriver(apqn, HostModel.noDriver)
        guard previous == HostModel.vfioDriver else { return [] }
        return rejudge(apqn.adapter, seq: seq, cause: cause() + "vfio_ap")
    }

    // MARK: /devices/vfio_ap/matrix and its mdevs

    private mutating func matrixDeviceEvent(_ action: UeventAction, seq: UInt64) -> [Decision] {
        switch action {
        case .add, .bind, .change:
            matrixDevicePresent = true
            return []
        case .unbind:
            return []
        case .remove:
            matrixDevicePresent = false
            var decisions: [Decision] = []
            for uuid in mdevOrder {
                decisions.append(anomaly(seq, "matrix device removed while mdev \(uuid) still existed", mdev: uuid))
                decisions += mdevRemoved(uuid, seq: seq)
            }
            return decisions
        case .move, .online, .offline:
            return [anomaly(seq, "unexpected \(action.rawValue) of the matrix device")]
        }
    }

    private mutating func mdevEvent(_ action: UeventAction, _ uuid: MdevUUID, seq: UInt64) -> [Decision] {
        switch action {
        case .add:
            insertMdev(uuid, seq: seq)  // a second add is the coldplug race
            return []
        case .bind, .unbind, .change:
            guard mdevs[uuid] != nil else {
                insertMdev(uuid, seq: seq)
                return [anomaly(seq, "\(action.rawValue) of mdev \(uuid), which was never added", mdev: uuid)]
            }
            return []
        case .remove:
            guard mdevs[uuid] != nil else { return [anomaly(seq, "remove of mdev \(uuid), which is unknown")] }
            return mdevRemoved(uuid, seq: seq)
        case .move, .online, .offline:
            return [anomaly(seq, "unexpected \(action.rawValue) of mdev \(uuid)", mdev: uuid)]
        }
    }

    /// The kernel removes an mdev only after its guest released it.
    private mutating func mdevRemoved(_ uuid: MdevUUID, seq: UInt64) -> [Decision] {
        var decisions: [Decision] = []
        if mdevs[known: uuid].guest.isAttached { decisions += guestDetached(uuid, seq: seq) }
        removeMdev(uuid, seq: seq)
        return decisions
    }
}

extension String {
    /// The string without trailing newlines, carriage returns, spaces or tabs
    /// (sysfs values and APMASK end in a newline).
    var trimmingTrailingWhitespace: String {
        var end = utf8.endIndex
        while end > utf8.startIndex {
            let previous = utf8.index(before: end)
            switch utf8[previous] {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: " "), UInt8(ascii: "\t"): end = previous
            default: return String(self[..<end])
            }
        }
        return ""
    }
}
