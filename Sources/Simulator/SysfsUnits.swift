import APModel

// The units of the simulated tree and how each is laid out (kernel-ap.md §1,
// §3; testing-with-umockdev.md §3): attribute files with the kernel's
// content, a `uevent` file with SUBSYSTEM, DEVTYPE, DRIVER and the bus keys,
// relative `subsystem` and `driver` links, bus `devices/` links and driver
// back links.

/// `/sys/bus/ap` attributes and the AP bus root device `/sys/devices/ap`.
struct BusUnit: SysfsUnit {
    var configuration: HostConfiguration
    var apmask: APMask
    var aqmask: APMask
    var scans: UInt64
    var bound: Int
    var total: Int
    var completeCount: UInt64
    var defaultDomain: Int

    init(_ kernel: SimulatedKernel) {
        configuration = kernel.configuration
        apmask = kernel.apmask
        aqmask = kernel.aqmask
        scans = kernel.scans
        (bound, total) = kernel.bindings
        completeCount = kernel.bindingsCompleteCount
        defaultDomain = kernel.defaultDomain
    }

    var entries: [SysfsEntry] {
        let masks = configuration.masks
        return [
            .directory("bus"), .directory("bus/ap"), .directory("bus/ap/devices"), .directory("bus/ap/drivers"),
            .file("bus/ap/ap_adapter_mask", SysfsFormat.qciMask(masks.adapters)),
            .file("bus/ap/ap_usage_domain_mask", SysfsFormat.qciMask(masks.domains)),
            .file("bus/ap/ap_control_domain_mask", SysfsFormat.qciMask(masks.controlDomains)),
            .file("bus/ap/ap_max_adapter_id", SysfsFormat.decimal(configuration.maxAdapterID)),
            .file("bus/ap/ap_max_domain_id", SysfsFormat.decimal(configuration.maxDomainID)),
            .file("bus/ap/apmask", apmask.sysfsHex + "\n"),
            .file("bus/ap/aqmask", aqmask.sysfsHex + "\n"),
            .file("bus/ap/ap_domain", SysfsFormat.decimal(defaultDomain)),
            .file("bus/ap/scans", SysfsFormat.decimal(scans)),
            .file("bus/ap/bindings", SysfsFormat.bindings(bound: bound, total: total, scans: scans)),
            .file("bus/ap/bindings_complete_count", SysfsFormat.decimal(completeCount)),
            .file("bus/ap/config_time", "30\n"),
            .file("bus/ap/features", "APSC APXA QACT RC8A APSB\n"),
            .file("bus/ap/ap_interrupts", "1\n"),
            .file("bus/ap/poll_thread", "0\n"),
            .file("bus/ap/poll_timeout", "250000\n"),
            .directory("devices"), .directory("devices/ap"),
            .file("devices/ap/uevent", "SUBSYSTEM=ap\n"),
            .link("devices/ap/subsystem", to: "bus/ap"),
        ]
    }
}

/// The driver directories, the vfio_ap root and matrix device, the mdev type.
struct DriversUnit: SysfsUnit {
    var zcrypt: Bool
    var vfio: Bool
    var availableInstances: Int

    init(_ kernel: SimulatedKernel) {
        zcrypt = kernel.loadedModules.contains(.zcryptCEX4)
        vfio = kernel.loadedModules.contains(.vfioAP)
        availableInstances = kernel.availableInstances
    }

    static let matrix = "devices/vfio_ap/matrix"
    static let mdevType = matrix + "/mdev_supported_types/vfio_ap-passthrough"

    var entries: [SysfsEntry] {
        var entries: [SysfsEntry] = []
        var drivers: [String] = []
        if zcrypt { drivers += [APDriver.cex4card.rawValue, APDriver.cex4queue.rawValue] }
        if vfio { drivers.append(APDriver.vfioAP.rawValue) }
        for driver in drivers {
            let directory = "bus/ap/drivers/" + driver
            entries += [.directory(directory), .writeOnly(directory + "/bind"), .writeOnly(directory + "/unbind")]
        }
        guard vfio else { return entries }
        let matrix = Self.matrix
        entries += [
            .directory("devices/vfio_ap"), .file("devices/vfio_ap/uevent", ""),
            .directory(matrix),
            .file(matrix + "/uevent", "SUBSYSTEM=matrix\nDRIVER=vfio_ap\n"),
            .link(matrix + "/subsystem", to: "bus/matrix"),
            .link(matrix + "/driver", to: "bus/matrix/drivers/vfio_ap"),
            .file(matrix + "/features", "guest_matrix hotplug ap_config\n"),
            .directory(matrix + "/mdev_supported_types"),
            .directory(Self.mdevType),
            .file(Self.mdevType + "/name", "VFIO AP Passthrough Device\n"),
            .file(Self.mdevType + "/device_api", "vfio-ap\n"),
            .file(Self.mdevType + "/available_instances", SysfsFormat.decimal(availableInstances)),
            .writeOnly(Self.mdevType + "/create"),
            .directory(Self.mdevType + "/devices"),
            .directory("bus/matrix"), .directory("bus/matrix/devices"), .directory("bus/matrix/drivers"),
            .link("bus/matrix/devices/matrix", to: matrix),
            .directory("bus/matrix/drivers/vfio_ap"),
            .link("bus/matrix/drivers/vfio_ap/matrix", to: matrix),
            .directory("bus/mdev"), .directory("bus/mdev/devices"), .directory("bus/mdev/drivers"),
            .directory("bus/mdev/drivers/vfio_ap_mdev"),
            .directory("class"), .directory("class/mdev_bus"),
            .link("class/mdev_bus/matrix", to: matrix),
        ]
        return entries
    }
}

/// `/sys/devices/ap/cardAA`.
struct CardUnit: SysfsUnit {
    var id: APID
    var card: CardDevice

    init(_ id: APID, _ card: CardDevice) {
        self.id = id
        var visible = card
        visible.registration = 0
        visible.bindOrder = 0
        self.card = visible
    }

    var entries: [SysfsEntry] {
        let name = id.cardName
        let directory = "devices/ap/" + name
        let type = HexUpper.digits(Int(card.type.rawValue), width: 2)
        var uevent = "SUBSYSTEM=ap\nDEVTYPE=ap_card\n"
        if let driver = card.driver { uevent += "DRIVER=\(driver.rawValue)\n" }
        uevent += "DEV_TYPE=00\(type)\nMODALIAS=ap:t\(type)\nMODE=\(card.mode.rawValue)\n"
        var entries: [SysfsEntry] = [
            .directory(directory),
            .file(directory + "/uevent", uevent),
            .link(directory + "/subsystem", to: "bus/ap"),
            .file(directory + "/hwtype", SysfsFormat.decimal(card.type.rawValue)),
            .file(directory + "/raw_hwtype", SysfsFormat.decimal(card.type.rawValue)),
            .file(directory + "/depth", "8\n"),
            .file(directory + "/ap_functions", "0x" + HexUpper.digits(Int(card.mode.functionBits), width: 8) + "\n"),
            .file(directory + "/modalias", "ap:t\(type)\n"),
            .file(directory + "/config", SysfsFormat.flag(card.configured)),
            .file(directory + "/chkstop", SysfsFormat.flag(card.checkstopped)),
            .file(directory + "/max_msg_size", "12288\n"),
            .file(directory + "/request_count", "0\n"),
            .file(directory + "/requestq_count", "0\n"),
            .file(directory + "/pendingq_count", "0\n"),
            .link("bus/ap/devices/" + name, to: directory),
        ]
        if let driver = card.driver {
            entries += [
                .link(directory + "/driver", to: "bus/ap/drivers/" + driver.rawValue),
                .link("bus/ap/drivers/\(driver.rawValue)/\(name)", to: directory),
                // zcrypt's card attributes exist only while cex4card is bound.
                .file(directory + "/type", "\(card.type.description.uppercased())\(card.mode.typeSuffix)\n"),
                .file(directory + "/online", SysfsFormat.flag(card.configured && !card.checkstopped)),
            ]
        }
        return entries
    }
}

/// `/sys/devices/ap/cardAA/AA.DDDD`.
struct QueueUnit: SysfsUnit {
    var apqn: APQN
    var queue: QueueDevice
    var mode: CardMode
    /// vfio_ap's `status` while bound to vfio_ap.
    var status: String?

    init(_ apqn: APQN, in kernel: SimulatedKernel) {
        guard let queue = kernel.queue(apqn), let card = kernel.card(apqn.adapter) else {
            preconditionFailure("Rendered queue \(apqn) without a queue or card device.")
        }
        self.apqn = apqn
        // The reset response code is not visible in sysfs; leave it out of the comparison.
        var visible = queue
        if case .vfioAP = queue.binding { visible.binding = .vfioAP(resetResponseCode: 0) }
        visible.registration = 0
        visible.bindOrder = 0
        self.queue = visible
        self.mode = card.mode
        self.status = kernel.vfioStatus(apqn)
    }

    var entries: [SysfsEntry] {
        let name = apqn.description
        let directory = "devices/ap/\(apqn.adapter.cardName)/\(name)"
        var uevent = "SUBSYSTEM=ap\nDEVTYPE=ap_queue\n"
        if let driver = queue.driver { uevent += "DRIVER=\(driver.rawValue)\n" }
        uevent += "MODE=\(mode.rawValue)\n"
        var entries: [SysfsEntry] = [
            .directory(directory),
            .file(directory + "/uevent", uevent),
            .link(directory + "/subsystem", to: "bus/ap"),
            .file(directory + "/config", SysfsFormat.flag(queue.configured)),
            .file(directory + "/chkstop", SysfsFormat.flag(queue.checkstopped)),
            .link("bus/ap/devices/" + name, to: directory),
        ]
        if let driver = queue.driver {
            entries += [
                .link(directory + "/driver", to: "bus/ap/drivers/" + driver.rawValue),
                .link("bus/ap/drivers/\(driver.rawValue)/\(name)", to: directory),
            ]
        }
        if let status { entries.append(.file(directory + "/status", status + "\n")) }
        return entries
    }
}

/// `/sys/devices/vfio_ap/matrix/<uuid>`.
struct MdevUnit: SysfsUnit {
    var uuid: MdevUUID
    var assigned: APMatrix
    var shadow: APMatrix

    init(_ mdev: MediatedDevice) {
        uuid = mdev.uuid
        assigned = mdev.assigned
        shadow = mdev.shadow
    }

    var entries: [SysfsEntry] {
        let name = uuid.description
        let directory = DriversUnit.matrix + "/" + name
        var entries: [SysfsEntry] = [
            .directory(directory),
            .file(directory + "/uevent", "SUBSYSTEM=mdev\nDRIVER=vfio_ap_mdev\n"),
            .link(directory + "/subsystem", to: "bus/mdev"),
            .link(directory + "/driver", to: "bus/mdev/drivers/vfio_ap_mdev"),
            .link(directory + "/mdev_type", to: DriversUnit.mdevType),
            .file(directory + "/matrix", assigned.matrixText),
            .file(directory + "/guest_matrix", shadow.matrixText),
            .file(directory + "/control_domains", assigned.controlDomainsText),
            .file(directory + "/ap_config", assigned.apConfigText),
            .link("bus/mdev/devices/" + name, to: directory),
            .link("bus/mdev/drivers/vfio_ap_mdev/" + name, to: directory),
            .link(DriversUnit.mdevType + "/devices/" + name, to: directory),
        ]
        for attribute in MdevAttribute.allCases where attribute != .apConfig {
            entries.append(.writeOnly(directory + "/" + attribute.rawValue))
        }
        entries.append(.writeOnly(directory + "/remove"))
        return entries
    }
}
