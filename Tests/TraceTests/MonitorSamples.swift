import APModel

/// Real-looking `udevadm monitor --property` captures of the event sequences
/// in kernel-ap.md §2.4, built from one description so that the KERNEL and
/// UDEV forms describe the same events.
enum MonitorSamples {
    /// One event as the kernel composes it: key order ACTION, DEVPATH,
    /// SUBSYSTEM, caller keys, DEVTYPE, DRIVER, bus keys, SEQNUM.
    struct Event {
        var action: String
        var devpath: String
        var subsystem: String
        /// Keys between SUBSYSTEM and SEQNUM, in kernel order.
        var keys: KeyValuePairs<String, String>
        var seqnum: Int

        /// The properties the kernel sends.
        var kernelProperties: [Uevent.Property] {
            [Uevent.Property("ACTION", action), Uevent.Property("DEVPATH", devpath), Uevent.Property("SUBSYSTEM", subsystem)]
                + keys.map { Uevent.Property($0.key, $0.value) }
                + [Uevent.Property("SEQNUM", String(seqnum))]
        }

        /// The properties udevd re-broadcasts (USEC_INITIALIZED after SEQNUM).
        var udevProperties: [Uevent.Property] {
            kernelProperties + [Uevent.Property("USEC_INITIALIZED", String(12_000_000 + seqnum))]
        }
    }

    static let kernelPreamble = "monitor will print the received events for:\nKERNEL - the kernel uevent\n\n"
    static let udevPreamble = "monitor will print the received events for:\nUDEV - the event which udev sends out after rule processing\n\n"
    static let bothPreamble = """
        monitor will print the received events for:
        UDEV - the event which udev sends out after rule processing
        KERNEL - the kernel uevent


        """

    /// `KERNEL[…] action   devpath (subsystem)`, as udevadm prints it.
    static func header(kernel: Bool, _ event: Event) -> String {
        let stamp = "\(1000 + event.seqnum / 1000).\(String(100_000 + event.seqnum % 1000 * 731))"
        let action = event.action + String(repeating: " ", count: max(1, 9 - event.action.count))
        return (kernel ? "KERNEL[" : "UDEV  [") + stamp + "] " + action + event.devpath + " (" + event.subsystem + ")"
    }

    /// One block: header, `KEY=VALUE` lines and the closing blank line.
    /// A value ending in a newline prints as udevadm prints it: followed by an empty line.
    static func block(kernel: Bool, _ event: Event) -> String {
        var text = header(kernel: kernel, event) + "\n"
        for property in kernel ? event.kernelProperties : event.udevProperties {
            text += property.key + "=" + property.value + "\n"
        }
        return text + "\n"
    }

    static func kernelText(_ events: [Event]) -> String {
        kernelPreamble + events.map { block(kernel: true, $0) }.joined()
    }

    static func udevText(_ events: [Event]) -> String {
        udevPreamble + events.map { block(kernel: false, $0) }.joined()
    }

    /// `udevadm monitor -k -u`: each UDEV block follows its KERNEL block,
    /// the UDEV block of an event sometimes after the next KERNEL block.
    static func mixedText(_ events: [Event]) -> String {
        var text = bothPreamble
        var pendingUdev: String?
        for (index, event) in events.enumerated() {
            text += block(kernel: true, event)
            if let pending = pendingUdev {
                text += pending
                pendingUdev = nil
            }
            if index % 2 == 0 {
                pendingUdev = block(kernel: false, event)
            } else {
                text += block(kernel: false, event)
            }
        }
        return text + (pendingUdev ?? "")
    }

    /// The header line numbers of the blocks in `kernelText(events)` or `udevText(events)`.
    static func headerLines(_ events: [Event], kernel: Bool) -> [Int] {
        var line = (kernel ? kernelPreamble : udevPreamble).filter { $0 == "\n" }.count + 1
        var lines: [Int] = []
        for event in events {
            lines.append(line)
            let text = block(kernel: kernel, event)
            line += text.filter { $0 == "\n" }.count
        }
        return lines
    }

    static let allOnesButAdapter5 = "0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
    static let mdev = "0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60"

    /// (a) Boot with zcrypt loaded: 04.0006 host-owned, 04.0007 not; then `modprobe vfio_ap`.
    static let boot: [Event] = [
        Event(action: "add", devpath: "/devices/ap/card04", subsystem: "ap",
              keys: ["DEVTYPE": "ap_card", "DEV_TYPE": "000C", "MODALIAS": "ap:t0C", "MODE": "cca"], seqnum: 1021),
        Event(action: "bind", devpath: "/devices/ap/card04", subsystem: "ap",
              keys: ["DEVTYPE": "ap_card", "DRIVER": "cex4card", "DEV_TYPE": "000C", "MODALIAS": "ap:t0C", "MODE": "cca"],
              seqnum: 1022),
        Event(action: "add", devpath: "/devices/ap/card04/04.0006", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "cca"], seqnum: 1023),
        Event(action: "bind", devpath: "/devices/ap/card04/04.0006", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "DRIVER": "cex4queue", "MODE": "cca"], seqnum: 1024),
        Event(action: "add", devpath: "/devices/ap/card04/04.0007", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "cca"], seqnum: 1025),
        Event(action: "change", devpath: "/devices/ap", subsystem: "ap", keys: ["INITSCAN": "done"], seqnum: 1026),
        Event(action: "add", devpath: "/devices/vfio_ap/matrix", subsystem: "matrix", keys: [:], seqnum: 1180),
        Event(action: "bind", devpath: "/devices/vfio_ap/matrix", subsystem: "matrix", keys: ["DRIVER": "vfio_ap"], seqnum: 1181),
        Event(action: "bind", devpath: "/devices/ap/card04/04.0007", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "DRIVER": "vfio_ap", "MODE": "cca"], seqnum: 1182),
        Event(action: "change", devpath: "/devices/ap", subsystem: "ap",
              keys: ["BINDINGS": "complete", "COMPLETECOUNT": "1"], seqnum: 1183),
        Event(action: "change", devpath: "/devices/vfio_ap/matrix", subsystem: "matrix",
              keys: ["MDEV_STATE": "registered", "DRIVER": "vfio_ap"], seqnum: 1184),
    ]

    /// (b) `echo -5 > /sys/bus/ap/apmask`: every 05.xxxx moves from cex4queue to vfio_ap, then APMASK.
    static let apmaskFlip: [Event] = [
        Event(action: "unbind", devpath: "/devices/ap/card05/05.0004", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "ep11"], seqnum: 2046),
        Event(action: "bind", devpath: "/devices/ap/card05/05.0004", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "DRIVER": "vfio_ap", "MODE": "ep11"], seqnum: 2047),
        Event(action: "unbind", devpath: "/devices/ap/card05/05.00ab", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "ep11"], seqnum: 2048),
        Event(action: "bind", devpath: "/devices/ap/card05/05.00ab", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "DRIVER": "vfio_ap", "MODE": "ep11"], seqnum: 2049),
        Event(action: "change", devpath: "/devices/ap", subsystem: "ap",
              keys: ["APMASK": allOnesButAdapter5 + "\n"], seqnum: 2050),
    ]

    /// (c) Manual unbind and rebind of a passed-through queue.
    static let manualRebind: [Event] = [
        Event(action: "unbind", devpath: "/devices/ap/card05/05.0004", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "ep11"], seqnum: 3001),
        Event(action: "bind", devpath: "/devices/ap/card05/05.0004", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "DRIVER": "vfio_ap", "MODE": "ep11"], seqnum: 3002),
    ]

    /// (d) Adapter 5 removed from the LPAR: queues unbind and go, then the card.
    static let adapterRemoved: [Event] = [
        Event(action: "unbind", devpath: "/devices/ap/card05/05.0004", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "ep11"], seqnum: 4010),
        Event(action: "remove", devpath: "/devices/ap/card05/05.0004", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "ep11"], seqnum: 4011),
        Event(action: "unbind", devpath: "/devices/ap/card05/05.00ab", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "ep11"], seqnum: 4012),
        Event(action: "remove", devpath: "/devices/ap/card05/05.00ab", subsystem: "ap",
              keys: ["DEVTYPE": "ap_queue", "MODE": "ep11"], seqnum: 4013),
        Event(action: "unbind", devpath: "/devices/ap/card05", subsystem: "ap",
              keys: ["DEVTYPE": "ap_card", "DEV_TYPE": "000D", "MODALIAS": "ap:t0D", "MODE": "ep11"], seqnum: 4014),
        Event(action: "remove", devpath: "/devices/ap/card05", subsystem: "ap",
              keys: ["DEVTYPE": "ap_card", "DEV_TYPE": "000D", "MODALIAS": "ap:t0D", "MODE": "ep11"], seqnum: 4015),
    ]

    /// (e) `echo 0 > card05/config`: the card at once, each queue at the next scan.
    static let deconfigure: [Event] = [
        Event(action: "change", devpath: "/devices/ap/card05", subsystem: "ap",
              keys: ["CONFIG": "0", "DEVTYPE": "ap_card", "DRIVER": "cex4card", "DEV_TYPE": "000D",
                     "MODALIAS": "ap:t0D", "MODE": "ep11"], seqnum: 5001),
        Event(action: "change", devpath: "/devices/ap/card05/05.0004", subsystem: "ap",
              keys: ["CONFIG": "0", "DEVTYPE": "ap_queue", "DRIVER": "vfio_ap", "MODE": "ep11"], seqnum: 5002),
        Event(action: "change", devpath: "/devices/ap/card05/05.00ab", subsystem: "ap",
              keys: ["CONFIG": "0", "DEVTYPE": "ap_queue", "DRIVER": "vfio_ap", "MODE": "ep11"], seqnum: 5003),
    ]

    /// (f) mdev lifecycle: create, bind to vfio_ap_mdev, later unbind and remove.
    static let mdevLifecycle: [Event] = [
        Event(action: "add", devpath: "/devices/vfio_ap/matrix/" + mdev, subsystem: "mdev",
              keys: ["MDEV_TYPE": "vfio_ap-passthrough"], seqnum: 6001),
        Event(action: "bind", devpath: "/devices/vfio_ap/matrix/" + mdev, subsystem: "mdev",
              keys: ["DRIVER": "vfio_ap_mdev", "MDEV_TYPE": "vfio_ap-passthrough"], seqnum: 6003),
        Event(action: "unbind", devpath: "/devices/vfio_ap/matrix/" + mdev, subsystem: "mdev",
              keys: ["MDEV_TYPE": "vfio_ap-passthrough"], seqnum: 6010),
        Event(action: "remove", devpath: "/devices/vfio_ap/matrix/" + mdev, subsystem: "mdev",
              keys: ["MDEV_TYPE": "vfio_ap-passthrough"], seqnum: 6011),
    ]

    /// Every sequence by name, for parameterized tests.
    static let sequences: [(name: String, events: [Event])] = [
        ("a boot", boot), ("b apmask flip", apmaskFlip), ("c manual rebind", manualRebind),
        ("d adapter removed", adapterRemoved), ("e deconfigure", deconfigure), ("f mdev lifecycle", mdevLifecycle),
    ]
}
