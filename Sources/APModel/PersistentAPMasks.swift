/// The AP bus masks a host applies at boot: what chzdev keeps in the udev rule
/// `/etc/udev/rules.d/41-ap.rules` (`chzdev --persistent ap apmask=… aqmask=…`,
/// s390-tools `zdev/src/ap.c`). A mask the rule does not set is nil: s390-tools'
/// libap then takes the active one from sysfs (`ap_read_udev_masks`), and so
/// does ``effective(activeApmask:activeAqmask:)``.
public struct PersistentAPMasks: Hashable, Sendable {
    /// Adapters kept for the host at boot, nil when the rule does not set `apmask`.
    public var apmask: APMask?
    /// Usage domains kept for the host at boot, nil when the rule does not set `aqmask`.
    public var aqmask: APMask?

    /// No rule, or a rule that sets neither mask.
    public init(apmask: APMask? = nil, aqmask: APMask? = nil) {
        self.apmask = apmask
        self.aqmask = aqmask
    }

    /// Whether the rule sets a mask at all.
    public var setsAny: Bool { apmask != nil || aqmask != nil }

    /// Both masks as libap's `ap_read_udev_masks` gives them to ap-check: each
    /// one the rule does not set is the active one.
    public func effective(activeApmask: APMask, activeAqmask: APMask) -> (apmask: APMask, aqmask: APMask) {
        (apmask ?? activeApmask, aqmask ?? activeAqmask)
    }
}
