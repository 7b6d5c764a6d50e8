import APModel

/// The uevent udev hands a RUN program (`aphotplug handle`) in its environment.
///
/// udev exports the event's properties as environment variables, next to the
/// process's own (`PATH`, …). The event is rebuilt from the keys the kernel
/// sends for AP, matrix and mdev devices (kernel-ap.md §2), in the kernel's
/// order; every other variable is ignored. Values are kept raw (`APMASK`
/// ends in a newline when udev passes it through).
public enum UeventEnvironment {
    /// The keys taken from the environment, in the order the kernel composes them:
    /// the required three, the caller-supplied keys, the device type and driver,
    /// the AP bus keys, udev's synthetic-event marker, then `SEQNUM`.
    public static let keys = [
        "ACTION", "DEVPATH", "SUBSYSTEM",
        "INITSCAN", "BINDINGS", "COMPLETECOUNT", "APMASK", "AQMASK", "CONFIG", "CHKSTOP", "ONLINE", "MDEV_STATE",
        "DEVTYPE", "DRIVER", "DEV_TYPE", "MODALIAS", "MODE", "SYNTH_UUID", "SEQNUM",
    ]

    /// The keys without which no event can be handled.
    public static let required = ["ACTION", "DEVPATH", "SUBSYSTEM"]

    /// Builds the uevent from `environment`.
    ///
    /// - Throws: ``UeventEnvironmentError`` when ACTION, DEVPATH or SUBSYSTEM is
    ///   missing or empty (not run by udev), or SEQNUM is not a number.
    public static func uevent(from environment: [String: String]) throws(UeventEnvironmentError) -> Uevent {
        let missing = required.filter { environment[$0]?.isEmpty ?? true }
        guard missing.isEmpty else { throw .missing(missing) }
        if let seqnum = environment["SEQNUM"], Uevent.seqnum(parsing: seqnum) == nil { throw .badSeqnum(seqnum) }
        return Uevent(properties: keys.compactMap { key in environment[key].map { Uevent.Property(key, $0) } })
    }
}

/// Why the environment holds no usable uevent.
public enum UeventEnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// These required variables are missing or empty.
    case missing([String])
    /// SEQNUM is set but not a decimal number.
    case badSeqnum(String)

    public var description: String {
        switch self {
        case .missing(let keys):
            return "no uevent in the environment: \(keys.joined(separator: ", ")) \(keys.count == 1 ? "is" : "are") not set "
                + "(aphotplug handle is run by udev, see 71-aphotplug-handle.rules)"
        case .badSeqnum(let text):
            return "SEQNUM '\(text.prefix(40))' is not a number"
        }
    }
}
