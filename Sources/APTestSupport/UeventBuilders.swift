import APModel

/// Compact builders for the uevents kernel-ap.md §2 describes, with the
/// kernel's key order, for engine and shell tests.
public enum KernelEvent {
    /// A queue event: `add`, `bind` (with `driver`), `unbind`, `remove`, or
    /// `change` with extra keys such as `CONFIG=0`.
    public static func queue(
        _ action: String, _ apqn: String, driver: String? = nil, extra: KeyValuePairs<String, String> = [:],
        seq: UInt64
    ) -> Uevent {
        let parsed = APQN(Substring(apqn))!
        var properties = [
            Uevent.Property("ACTION", action),
            Uevent.Property("DEVPATH", APDevice.queue(parsed).devpath),
            Uevent.Property("SUBSYSTEM", "ap"),
        ]
        properties += extra.map { Uevent.Property($0.key, $0.value) }
        properties.append(Uevent.Property("DEVTYPE", "ap_queue"))
        if let driver { properties.append(Uevent.Property("DRIVER", driver)) }
        properties.append(Uevent.Property("MODE", "cca"))
        properties.append(Uevent.Property("SEQNUM", String(seq)))
        return Uevent(properties: properties)
    }

    /// A card event; `hwtype` is the compatible type (12 = CEX6 … 14 = CEX8).
    public static func card(
        _ action: String, _ adapter: UInt8, driver: String? = nil, extra: KeyValuePairs<String, String> = [:],
        hwtype: Int = 14, seq: UInt64
    ) -> Uevent {
        var properties = [
            Uevent.Property("ACTION", action),
            Uevent.Property("DEVPATH", APDevice.card(APID(adapter)).devpath),
            Uevent.Property("SUBSYSTEM", "ap"),
        ]
        properties += extra.map { Uevent.Property($0.key, $0.value) }
        properties.append(Uevent.Property("DEVTYPE", "ap_card"))
        if let driver { properties.append(Uevent.Property("DRIVER", driver)) }
        let type = String(hwtype, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - type.count)) + type
        properties.append(Uevent.Property("DEV_TYPE", padded))
        properties.append(Uevent.Property("MODALIAS", "ap:t" + padded.suffix(2)))
        properties.append(Uevent.Property("MODE", "cca"))
        properties.append(Uevent.Property("SEQNUM", String(seq)))
        return Uevent(properties: properties)
    }

    /// A `change` of the AP bus root device with one custom key set, e.g.
    /// `["BINDINGS": "complete", "COMPLETECOUNT": "1"]` or `["APMASK": "0x…\n"]`.
    public static func busRoot(_ keys: KeyValuePairs<String, String>, seq: UInt64) -> Uevent {
        var properties = [
            Uevent.Property("ACTION", "change"),
            Uevent.Property("DEVPATH", "/devices/ap"),
            Uevent.Property("SUBSYSTEM", "ap"),
        ]
        properties += keys.map { Uevent.Property($0.key, $0.value) }
        properties.append(Uevent.Property("SEQNUM", String(seq)))
        return Uevent(properties: properties)
    }

    /// An mdev event (`add`, `bind` with DRIVER=vfio_ap_mdev, `unbind`, `remove`).
    public static func mdev(_ action: String, _ uuid: String, seq: UInt64) -> Uevent {
        var properties = [
            Uevent.Property("ACTION", action),
            Uevent.Property("DEVPATH", "/devices/vfio_ap/matrix/" + uuid.lowercased()),
            Uevent.Property("SUBSYSTEM", "mdev"),
        ]
        if action == "bind" { properties.append(Uevent.Property("DRIVER", "vfio_ap_mdev")) }
        properties.append(Uevent.Property("SEQNUM", String(seq)))
        return Uevent(properties: properties)
    }
}

extension HostSnapshot {
    /// A host with CEX8 cards `adapters` and their queues on `domains`, every
    /// queue bound to vfio_ap unless listed in `unbound` or `hostOwned`
    /// (which go to cex4queue), vfio_ap loaded, host configuration = the devices.
    public static func passthroughHost(
        adapters: [UInt8], domains: [UInt8], controlDomains: [UInt8]? = nil,
        unbound: Set<String> = [], mdevs: [Mdev] = []
    ) -> HostSnapshot {
        var queues: [Queue] = []
        for adapter in adapters {
            for domain in domains {
                let apqn = APQN(adapter: adapter, domain: domain)
                queues.append(Queue(apqn: apqn, driver: unbound.contains(apqn.description) ? nil : "vfio_ap"))
            }
        }
        return HostSnapshot(
            hostConfiguration: APMatrix(
                adapters: APMask(adapters), domains: APMask(domains), controlDomains: APMask(controlDomains ?? domains)),
            apmask: APMask(), aqmask: APMask(),
            cards: adapters.map { Card(id: APID($0), hardwareType: 14, driver: "cex4card") },
            queues: queues,
            matrixDevice: MatrixDevice(features: ["guest_matrix", "hotplug", "ap_config"]),
            mdevs: mdevs
        )
    }
}

extension APMatrix {
    /// A matrix from id lists, for tests: `APMatrix([5, 6], [4, 0xab])`.
    public init(_ adapters: [UInt8], _ domains: [UInt8], control: [UInt8] = []) {
        self.init(adapters: APMask(adapters), domains: APMask(domains), controlDomains: APMask(control))
    }
}
