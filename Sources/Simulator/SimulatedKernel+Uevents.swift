import APModel

extension SimulatedKernel {
    /// Emits one uevent with the kernel's key order (§2.1): `ACTION`,
    /// `DEVPATH`, `SUBSYSTEM`, the caller's keys, `DEVTYPE`, `DRIVER` if the
    /// device is bound right now, the AP bus keys (`DEV_TYPE`, `MODALIAS`,
    /// `MODE`), `SEQNUM`.
    ///
    /// - Parameters:
    ///   - keys: the caller-supplied environment (`CONFIG=1`, `APMASK=…`).
    ///   - driver: for the matrix device and mdevs, which are not on the AP
    ///     bus, the driver bound at this moment; AP devices use their state.
    mutating func emit(
        _ action: UeventAction, _ device: APDevice, _ keys: [Uevent.Property] = [], driver: String? = nil
    ) {
        var properties: [Uevent.Property] = []
        properties.reserveCapacity(8 + keys.count)
        properties.append(Uevent.Property("ACTION", action.rawValue))
        properties.append(Uevent.Property("DEVPATH", device.devpath))
        properties.append(Uevent.Property("SUBSYSTEM", Self.subsystem(of: device)))
        properties.append(contentsOf: keys)
        switch device {
        case .busRoot:
            break
        case .card(let id):
            guard let card = cards[Int(id.rawValue)] else {
                preconditionFailure("A uevent for card \(id) was built after the card device was freed.")
            }
            properties.append(Uevent.Property("DEVTYPE", "ap_card"))
            if let bound = card.driver { properties.append(Uevent.Property("DRIVER", bound.rawValue)) }
            let type = HexUpper.digits(Int(card.type.rawValue), width: 4)
            properties.append(Uevent.Property("DEV_TYPE", type))
            properties.append(Uevent.Property("MODALIAS", "ap:t" + String(type.suffix(2))))
            properties.append(Uevent.Property("MODE", card.mode.rawValue))
        case .queue(let apqn):
            guard let queue = queues[apqn.index], let card = cards[Int(apqn.adapter.rawValue)] else {
                preconditionFailure("A uevent for queue \(apqn) was built after its device or card was freed.")
            }
            properties.append(Uevent.Property("DEVTYPE", "ap_queue"))
            if let bound = queue.driver { properties.append(Uevent.Property("DRIVER", bound.rawValue)) }
            properties.append(Uevent.Property("MODE", card.mode.rawValue))
        case .matrix, .mdev:
            if let driver { properties.append(Uevent.Property("DRIVER", driver)) }
        }
        seqnum += 1
        properties.append(Uevent.Property("SEQNUM", String(seqnum)))
        output.append(.uevent(Uevent(properties: properties)))
    }

    /// `ap`, `matrix` or `mdev`.
    static func subsystem(of device: APDevice) -> String {
        switch device {
        case .busRoot, .card, .queue: return "ap"
        case .matrix: return "matrix"
        case .mdev: return "mdev"
        }
    }
}

/// Uppercase hex as `%0*X` prints it (the kernel's `DEV_TYPE`, `MODALIAS`,
/// `ap_functions`).
enum HexUpper {
    static func digits(_ value: Int, width: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
