import APModel

/// Writes a sysfs tree for a ``HostSnapshot`` into a directory, laid out as
/// the kernel lays out `/sys` (kernel-ap.md §1 and §3) and as
/// testing-with-umockdev.md §3 describes: device directories with `uevent`
/// files (`SUBSYSTEM`, `DEVTYPE`, `DRIVER` while bound, bus keys such as
/// `MODE`), attribute files in the kernel's formats with trailing newlines,
/// relative `driver` and `subsystem` links, `bus/ap/devices` links,
/// `bus/ap/drivers/<driver>/` with back links, the vfio_ap matrix device with
/// its mdev type, and the mdevs with `matrix`, `control_domains`,
/// `guest_matrix` (when known), `ap_config` (when `features` lists it) and
/// their write-only attributes. Queues bound to vfio_ap get `status`:
/// `in use` for the guest-matrix queues of an in-use mdev (every assigned
/// queue on pre-6.0 kernels, where `guestMatrix` is nil), `assigned`
/// inside an mdev's matrix, `unassigned` otherwise.
///
/// Golden tests and end-to-end tests make their fixture trees with it;
/// `SnapshotReader` reads the snapshot back unchanged. Cards show MODE `cca`.
public enum SysfsTreeWriter {
    /// Writes the tree for `snapshot` below `root` (created if missing; it
    /// should be empty).
    public static func write(_ snapshot: HostSnapshot, to root: String) throws {
        var files = try FixtureFiles(root: root)
        try writeBus(snapshot, &files)
        try writeCardsAndQueues(snapshot, &files)
        if let matrixDevice = snapshot.matrixDevice {
            try writeMatrix(matrixDevice, mdevs: snapshot.mdevs, &files)
        }
    }

    // MARK: AP bus

    private static func writeBus(_ snapshot: HostSnapshot, _ files: inout FixtureFiles) throws {
        let bus = "bus/ap/"
        if let host = snapshot.hostConfiguration {
            try files.file(bus + "ap_adapter_mask", host.adapters.sysfsHex + "\n")
            try files.file(bus + "ap_usage_domain_mask", host.domains.sysfsHex + "\n")
            try files.file(bus + "ap_control_domain_mask", host.controlDomains.sysfsHex + "\n")
            try files.file(bus + "features", "APSC APXA QACT RC8A APSB\n")
        } else {
            for name in ["ap_adapter_mask", "ap_usage_domain_mask", "ap_control_domain_mask"] {
                try files.file(bus + name, "not supported\n")
            }
            try files.file(bus + "features", "-\n")
        }
        try files.file(bus + "apmask", snapshot.apmask.sysfsHex + "\n")
        try files.file(bus + "aqmask", snapshot.aqmask.sysfsHex + "\n")
        try files.file(bus + "ap_max_adapter_id", "\(snapshot.maxAdapterID)\n")
        try files.file(bus + "ap_max_domain_id", "\(snapshot.maxDomainID)\n")
        try files.file(bus + "scans", "\(snapshot.scans)\n")
        let bound = snapshot.queues.filter { $0.driver != nil }.count
        let complete = bound == snapshot.queues.count && snapshot.scans > 0 ? " (complete)" : ""
        try files.file(bus + "bindings", "\(bound)/\(snapshot.queues.count)\(complete)\n")
        if let count = snapshot.bindingsCompleteCount { try files.file(bus + "bindings_complete_count", "\(count)\n") }
        let usable = snapshot.hostConfiguration.map { snapshot.aqmask.intersection($0.domains) } ?? snapshot.aqmask
        try files.file(bus + "ap_domain", "\(usable.first.map(Int.init) ?? -1)\n")
        try files.file(bus + "config_time", "30\n")
        try files.file(bus + "ap_interrupts", "1\n")
        try files.file(bus + "poll_thread", "0\n")
        try files.file(bus + "poll_timeout", "250000\n")
        try files.file(bus + "drivers_autoprobe", "1\n")
        try files.file(bus + "drivers_probe", "", writeOnly: true)
        try files.file(bus + "uevent", "", writeOnly: true)
        var drivers: Set<String> = ["cex4card", "cex4queue"]
        if snapshot.matrixDevice != nil { drivers.insert("vfio_ap") }
        for card in snapshot.cards { if let driver = card.driver { drivers.insert(driver) } }
        for queue in snapshot.queues { if let driver = queue.driver { drivers.insert(driver) } }
        for driver in drivers.sorted() {
            try files.file(bus + "drivers/\(driver)/bind", "", writeOnly: true)
            try files.file(bus + "drivers/\(driver)/unbind", "", writeOnly: true)
            try files.file(bus + "drivers/\(driver)/uevent", "", writeOnly: true)
        }
        try files.file("devices/ap/uevent", "SUBSYSTEM=ap\n")
        try files.link("devices/ap/subsystem", FixtureFiles.relative(from: "devices/ap/subsystem", to: "bus/ap"))
    }

    // MARK: Cards and queues

    private static func writeCardsAndQueues(_ snapshot: HostSnapshot, _ files: inout FixtureFiles) throws {
        let statuses = queueStatuses(snapshot)
        var cardOnline: [APID: Bool] = [:]
        for card in snapshot.cards {
            let path = "devices/ap/" + card.id.cardName
            try writeDevice(path, busName: card.id.cardName, driver: card.driver, &files)
            let typeHex = String(card.hardwareType, radix: 16, uppercase: true)
            let devType = String(repeating: "0", count: max(0, 4 - typeHex.count)) + typeHex
            let modalias = "ap:t" + String(devType.suffix(2))
            var uevent = "SUBSYSTEM=ap\nDEVTYPE=ap_card\n"
            if let driver = card.driver { uevent += "DRIVER=\(driver)\n" }
            uevent += "DEV_TYPE=\(devType)\nMODALIAS=\(modalias)\nMODE=cca\n"
            try files.file(path + "/uevent", uevent)
            try files.file(path + "/hwtype", "\(card.hardwareType)\n")
            try files.file(path + "/raw_hwtype", "\(card.hardwareType)\n")
            try files.file(path + "/modalias", modalias + "\n")
            try files.file(path + "/depth", "8\n")
            try files.file(path + "/ap_functions", "0x92200000\n")
            try files.file(path + "/max_msg_size", "12288\n")
            try writeCounters(path, &files)
            try files.file(path + "/config", card.configured ? "1\n" : "0\n")
            try files.file(path + "/chkstop", card.checkstopped ? "1\n" : "0\n")
            let online = card.configured && !card.checkstopped
            cardOnline[card.id] = online
            if card.driver == "cex4card" {
                try files.file(path + "/type", "CEX\(card.hardwareType - 6)C\n")
                try files.file(path + "/online", online ? "1\n" : "0\n")
            }
        }
        for queue in snapshot.queues {
            let path = "devices/ap/" + queue.apqn.adapter.cardName + "/" + queue.apqn.description
            try writeDevice(path, busName: queue.apqn.description, driver: queue.driver, &files)
            var uevent = "SUBSYSTEM=ap\nDEVTYPE=ap_queue\n"
            if let driver = queue.driver { uevent += "DRIVER=\(driver)\n" }
            try files.file(path + "/uevent", uevent + "MODE=cca\n")
            try writeCounters(path, &files)
            try files.file(path + "/reset", "No Reset Timer set.\n")
            try files.file(path + "/interrupt", "Interrupts enabled.\n")
            try files.file(path + "/ap_functions", "0x92200000\n")
            try files.file(path + "/config", queue.configured ? "1\n" : "0\n")
            try files.file(path + "/chkstop", queue.checkstopped ? "1\n" : "0\n")
            switch queue.driver {
            case "cex4queue"?:
                let online = queue.configured && !queue.checkstopped && cardOnline[queue.apqn.adapter, default: true]
                try files.file(path + "/online", online ? "1\n" : "0\n")
            case "vfio_ap"?:
                try files.file(path + "/status", statuses[queue.apqn, default: "unassigned"] + "\n")
            default:
                break
            }
        }
    }

    /// `driver` and `subsystem` links, the `bus/ap/devices` link and the driver's back link.
    private static func writeDevice(_ path: String, busName: String, driver: String?, _ files: inout FixtureFiles) throws {
        try files.directory(path)
        try files.link(path + "/subsystem", FixtureFiles.relative(from: path + "/subsystem", to: "bus/ap"))
        let busLink = "bus/ap/devices/" + busName
        try files.link(busLink, FixtureFiles.relative(from: busLink, to: path))
        if let driver {
            try files.link(path + "/driver", FixtureFiles.relative(from: path + "/driver", to: "bus/ap/drivers/" + driver))
            let backLink = "bus/ap/drivers/\(driver)/\(busName)"
            try files.link(backLink, FixtureFiles.relative(from: backLink, to: path))
        }
    }

    private static func writeCounters(_ path: String, _ files: inout FixtureFiles) throws {
        try files.file(path + "/request_count", "0\n")
        try files.file(path + "/requestq_count", "0\n")
        try files.file(path + "/pendingq_count", "0\n")
    }

    /// vfio_ap `status` per APQN (kernel-ap.md §4.12, current kernels).
    private static func queueStatuses(_ snapshot: HostSnapshot) -> [APQN: String] {
        var statuses: [APQN: String] = [:]
        for mdev in snapshot.mdevs {
            for apqn in mdev.assigned.apqns { statuses[apqn] = "assigned" }
        }
        for mdev in snapshot.mdevs where mdev.inUse {
            for apqn in mdev.assigned.apqns where mdev.guestMatrix?.contains(apqn) ?? true {
                statuses[apqn] = "in use"
            }
        }
        return statuses
    }

    // MARK: vfio_ap

    private static func writeMatrix(
        _ matrixDevice: HostSnapshot.MatrixDevice, mdevs: [HostSnapshot.Mdev], _ files: inout FixtureFiles
    ) throws {
        let matrix = "devices/vfio_ap/matrix"
        try files.file(matrix + "/uevent", "SUBSYSTEM=matrix\nDRIVER=vfio_ap\n")
        try files.link(matrix + "/driver", FixtureFiles.relative(from: matrix + "/driver", to: "bus/matrix/drivers/vfio_ap"))
        try files.link(matrix + "/subsystem", FixtureFiles.relative(from: matrix + "/subsystem", to: "bus/matrix"))
        try files.link("bus/matrix/devices/matrix", FixtureFiles.relative(from: "bus/matrix/devices/matrix", to: matrix))
        try files.link(
            "bus/matrix/drivers/vfio_ap/matrix", FixtureFiles.relative(from: "bus/matrix/drivers/vfio_ap/matrix", to: matrix)
        )
        try files.link("class/mdev_bus/matrix", FixtureFiles.relative(from: "class/mdev_bus/matrix", to: matrix))
        if !matrixDevice.features.isEmpty {
            try files.file(matrix + "/features", matrixDevice.features.joined(separator: " ") + "\n")
        }
        let type = matrix + "/mdev_supported_types/vfio_ap-passthrough"
        try files.file(type + "/name", "VFIO AP Passthrough Device\n")
        try files.file(type + "/device_api", "vfio-ap\n")
        try files.file(type + "/available_instances", "\(65_536 - mdevs.count)\n")
        try files.file(type + "/create", "", writeOnly: true)
        try files.directory(type + "/devices")
        let writesAPConfig = matrixDevice.features.contains("ap_config")
        for (index, mdev) in mdevs.enumerated() {
            let path = matrix + "/" + mdev.uuid.description
            try files.link(type + "/devices/" + mdev.uuid.description, "../../../" + mdev.uuid.description)
            try files.file(path + "/uevent", "SUBSYSTEM=mdev\nDRIVER=vfio_ap_mdev\nMDEV_TYPE=vfio_ap-passthrough\n")
            try files.link(path + "/driver", FixtureFiles.relative(from: path + "/driver", to: "bus/mdev/drivers/vfio_ap_mdev"))
            try files.link(path + "/subsystem", FixtureFiles.relative(from: path + "/subsystem", to: "bus/mdev"))
            try files.link(path + "/mdev_type", "../mdev_supported_types/vfio_ap-passthrough")
            try files.link(path + "/iommu_group", FixtureFiles.relative(from: path + "/iommu_group", to: "kernel/iommu_groups/\(index)"))
            let busLink = "bus/mdev/devices/" + mdev.uuid.description
            try files.link(busLink, FixtureFiles.relative(from: busLink, to: path))
            let backLink = "bus/mdev/drivers/vfio_ap_mdev/" + mdev.uuid.description
            try files.link(backLink, FixtureFiles.relative(from: backLink, to: path))
            try files.file(path + "/matrix", mdev.assigned.matrixText)
            try files.file(path + "/control_domains", mdev.assigned.controlDomainsText)
            if let guest = mdev.guestMatrix { try files.file(path + "/guest_matrix", guest.matrixText) }
            if writesAPConfig { try files.file(path + "/ap_config", mdev.assigned.apConfigText) }
            for name in ["assign_adapter", "unassign_adapter", "assign_domain", "unassign_domain",
                         "assign_control_domain", "unassign_control_domain", "remove"] {
                try files.file(path + "/" + name, "", writeOnly: true)
            }
            try files.file(path + "/vfio-dev/vfio\(index)/uevent", "MAJOR=511\nMINOR=\(index)\nDEVNAME=vfio/devices/vfio\(index)\n")
        }
    }
}
