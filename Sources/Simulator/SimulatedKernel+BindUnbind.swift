import APModel

extension SimulatedKernel {
    /// `echo NAME > /sys/bus/ap/drivers/<driver>/bind`.
    ///
    /// ENOENT when the driver is not loaded (no such file); ENODEV when no
    /// device has that name, the driver does not match its type (vfio_ap and
    /// cex4queue bind queues, cex4card binds cards) or the queue's ownership
    /// forbids the driver; EBUSY when the device already has a driver.
    mutating func bind(device name: String, driver: APDriver) throws(KernelErrno) {
        guard loadedModules.contains(driver.module) else { throw .ENOENT }
        switch try findDevice(named: name) {
        case .card(let id):
            guard driver.bindsCards else { throw .ENODEV }
            guard cards[Int(id)]?.driver == nil else { throw .EBUSY }
            probeCard(id)
        case .queue(let index):
            guard !driver.bindsCards else { throw .ENODEV }
            guard queues[index]?.driver == nil else { throw .EBUSY }
            guard probeQueue(index, with: driver) else { throw .ENODEV }
        }
    }

    /// `echo NAME > /sys/bus/ap/drivers/<driver>/unbind`; with `driver` nil,
    /// the `unbind` file of the driver the device has now (through its
    /// `driver` link: ENOENT when unbound).
    ///
    /// ENODEV when no device has that name or it is not bound to `driver`.
    mutating func unbind(device name: String, driver: APDriver?) throws(KernelErrno) {
        if let driver, !loadedModules.contains(driver.module) { throw .ENOENT }
        let device: BusDevice
        do throws(KernelErrno) {
            device = try findDevice(named: name)
        } catch {
            // Without a driver name the path goes through the device directory.
            throw driver == nil ? .ENOENT : error
        }
        switch device {
        case .card(let id):
            let current = cards[Int(id)]?.driver
            guard current != nil else { throw driver == nil ? .ENOENT : .ENODEV }
            guard driver == nil || current == driver else { throw .ENODEV }
            releaseCard(id)
        case .queue(let index):
            let current = queues[index]?.driver
            guard current != nil else { throw driver == nil ? .ENOENT : .ENODEV }
            guard driver == nil || current == driver else { throw .ENODEV }
            releaseQueue(index)
        }
    }

    /// `echo 0|1 > /sys/devices/ap/cardAA/config` (LPAR): SCLP deconfigures
    /// or configures the adapter, the card's `config` follows and a `CONFIG=`
    /// change event is sent at once (also when the value did not change).
    /// The queues learn it at the next scan. EINVAL unless the text reads as
    /// 0 or 1 (`sscanf("%d")`); ENOENT when there is no such card.
    mutating func writeCardConfig(card name: String, value: String) throws(KernelErrno) {
        guard case .card(let id)? = try? findDevice(named: name) else { throw .ENOENT }
        guard let number = KernelNumber.scanDecimal(value), number == 0 || number == 1 else { throw .EINVAL }
        let configure = number == 1
        var installed = installedCard(APID(id))
        if configure != cards[Int(id)]?.configured {
            installed.deconfigured = !configure
            cardHardware[id] = installed
        }
        cards[Int(id)]?.configured = configure
        touched.cards.insert(id)
        emit(.change, .card(APID(id)), [Uevent.Property("CONFIG", configure ? "1" : "0")])
    }

    /// `bus_find_device_by_name`: the exact sysfs name (`card05`,
    /// `05.0004`), one trailing newline ignored (`sysfs_streq`).
    func findDevice(named text: String) throws(KernelErrno) -> BusDevice {
        let name = text.hasSuffix("\n") ? String(text.dropLast()) : text
        if let id = APID(cardName: Substring(name)), id.cardName == name, cards[Int(id.rawValue)] != nil {
            return .card(id.rawValue)
        }
        if let apqn = APQN(Substring(name)), apqn.description == name, queues[apqn.index] != nil {
            return .queue(apqn.index)
        }
        throw .ENODEV
    }
}

/// A device on the AP bus, by card id or queue index.
enum BusDevice: Hashable {
    case card(UInt8)
    case queue(Int)
}
