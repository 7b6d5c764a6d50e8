import APModel

/// Everything that can happen to the engine. Each case arrives with the
/// position that identifies it in decisions: the uevent's SEQNUM when it has
/// one, else the record's position in the input.
public enum EngineEvent: Hashable, Sendable {
    /// A full picture of the host: at startup (coldplug) and after lost events.
    /// `guests` names the guests known to hold mdevs (`--guest UUID=NAME`).
    case snapshot(HostSnapshot, guests: [MdevUUID: String], position: UInt64)
    /// A kernel or udev uevent, as received or recorded.
    case uevent(Uevent, position: UInt64)
    /// A guest (QEMU/libvirt domain `name`) opened the mdev.
    case guestAttached(MdevUUID, name: String, position: UInt64)
    /// The guest released the mdev. `name` is the domain that says so (libvirt's
    /// hook always names it; nil when unnamed): the end of another domain than
    /// the holder, or a second end of the same guest, changes nothing.
    case guestDetached(MdevUUID, name: String?, position: UInt64)
    /// A sysfs attribute was read back (`path` is absolute, `/sys/...`; `value` raw).
    /// Assignment changes have no uevents: this is how the engine learns them.
    case observed(path: String, value: String, position: UInt64)
    /// An mdev's persistent definition (mdevctl) was read: at startup, and
    /// whenever the file appeared, changed or went away. Definitions are the
    /// desired matrices that `assign` decisions work towards.
    case definitionChanged(MdevUUID, DefinitionReading, position: UInt64)
    /// chzdev's persistent AP bus masks (`/etc/udev/rules.d/41-ap.rules`) were
    /// read: at startup, and whenever the file appeared, changed or went away.
    /// ap-check refuses auto definitions with APQNs those masks keep for the
    /// host (`check_cfg_mask_conflicts`), and so does enforcement.
    case apMaskRulesChanged(APMaskRulesReading, position: UInt64)
    /// A burst of events has settled (the shell has read the host
    /// configuration masks back after it), or the input ended: an AP bus scan
    /// whose events the engine holds is over. Replay sends it at the end of
    /// input; the daemon and `handle` after each read-back while
    /// ``Engine/hasOpenScan`` holds, and record it in traces.
    case settled(position: UInt64)
}
