import APModel

/// Writes uevents as `udevadm monitor --kernel --property` prints them: a
/// preamble, then per event a header
/// `KERNEL[<seconds>.<microseconds>] <action padded to 8> <devpath> (<subsystem>)`,
/// one `KEY=VALUE` line per property in arrival order, and a blank line.
///
/// Values are printed raw, as udevadm does: `APMASK`/`AQMASK` end in a
/// newline, so their line is followed by an empty line inside the block.
public enum UdevadmMonitorText {
    /// The lines udevadm prints before the first event.
    public static let preamble = "monitor will print the received events for:\nKERNEL - the kernel uevent\n\n"

    /// One event block, blank line included.
    public static func block(_ event: Uevent, microseconds: UInt64) -> String {
        let action = event.action ?? ""
        var text = "KERNEL[\(microseconds / 1_000_000).\(sixDigits(microseconds % 1_000_000))] "
        text += action.count < 8 ? action + String(repeating: " ", count: 8 - action.count) : action
        text += " \(event.devpath ?? "") (\(event.subsystem ?? ""))\n"
        for property in event.properties { text += property.key + "=" + property.value + "\n" }
        return text + "\n"
    }

    /// The preamble and a block for every uevent record; guest, observe and
    /// settled records have no udevadm form and are left out.
    public static func render(_ records: some Sequence<SimulationRecord>) -> String {
        var text = preamble
        for record in records {
            switch record {
            case .uevent(let event, let microseconds): text += block(event, microseconds: microseconds)
            case .guest, .observe, .settled: continue
            }
        }
        return text
    }

    private static func sixDigits(_ value: UInt64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }
}
