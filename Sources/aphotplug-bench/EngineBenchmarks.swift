import APModel
import HotplugEngine

/// Inputs for the engine-only benchmarks: a full-scale host (256 adapters ×
/// 256 domains = 65,536 queues) and the uevents of one burst, already parsed.
enum EngineWorkload {
    static let all = (0...255).map(UInt8.init)

    /// Every queue bound to `driver` (host-owned when `cex4queue`).
    static func host(driver: String, mdevs: [HostSnapshot.Mdev] = []) -> HostSnapshot {
        var queues: [HostSnapshot.Queue] = []
        queues.reserveCapacity(65_536)
        for adapter in all {
            for domain in all { queues.append(.init(apqn: APQN(adapter: adapter, domain: domain), driver: driver)) }
        }
        let ownedByHost = driver == "cex4queue"
        return HostSnapshot(
            hostConfiguration: APMatrix(adapters: .all, domains: .all, controlDomains: .all),
            apmask: ownedByHost ? .all : APMask(), aqmask: .all,
            cards: all.map { .init(id: APID($0), hardwareType: 14, driver: "cex4card") },
            queues: queues, matrixDevice: .init(features: ["guest_matrix", "hotplug", "ap_config"]), mdevs: mdevs)
    }

    /// One unbind and one bind per queue, adapter-major as the kernel's
    /// `ap_bus_revise_bindings` walks them, then the mask event.
    static func rebindBurst(to driver: String, maskEvent: (key: String, value: String)?) -> [Uevent] {
        var events: [Uevent] = []
        events.reserveCapacity(131_073)
        var seq: UInt64 = 1000
        for adapter in all {
            for domain in all {
                let devpath = APDevice.queue(APQN(adapter: adapter, domain: domain)).devpath
                seq += 1
                events.append(Uevent(properties: [
                    .init("ACTION", "unbind"), .init("DEVPATH", devpath), .init("SUBSYSTEM", "ap"),
                    .init("DEVTYPE", "ap_queue"), .init("MODE", "cca"), .init("SEQNUM", String(seq)),
                ]))
                seq += 1
                events.append(Uevent(properties: [
                    .init("ACTION", "bind"), .init("DEVPATH", devpath), .init("SUBSYSTEM", "ap"),
                    .init("DEVTYPE", "ap_queue"), .init("DRIVER", driver), .init("MODE", "cca"), .init("SEQNUM", String(seq)),
                ]))
            }
        }
        if let maskEvent {
            seq += 1
            events.append(Uevent(properties: [
                .init("ACTION", "change"), .init("DEVPATH", "/devices/ap"), .init("SUBSYSTEM", "ap"),
                .init(maskEvent.key, maskEvent.value), .init("SEQNUM", String(seq)),
            ]))
        }
        return events
    }

    /// 16 mdevs, each with 16 adapters × all 256 domains, every guest attached.
    static func busyMdevs() -> [HostSnapshot.Mdev] {
        (0..<16).map { index in
            let uuid = MdevUUID("00000000-0000-4000-8000-0000000000" + String(format2: index))!
            let adapters = APMask(range: UInt8(index * 16)...UInt8(index * 16 + 15))
            return .init(uuid: uuid, assigned: APMatrix(adapters: adapters, domains: .all), guestMatrix: nil, inUse: true)
        }
    }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 value: Int) {
        let text = String(value, radix: 16)
        self = text.count == 1 ? "0" + text : text
    }
}
