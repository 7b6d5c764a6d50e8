import APModel

/// One record of a trace: what happened on the host, in the order it happened.
///
/// Traces come in two formats (``TraceFormat``): `udevadm monitor --property`
/// text, which only holds uevents, and aphotplug's JSON Lines, which holds
/// every case below.
public enum TraceRecord: Equatable, Sendable {
    /// The sysfs files and links the recorder read at startup. Replay builds
    /// the initial host snapshot from it with the same reader the daemon uses
    /// on a live tree, so a JSON Lines trace needs no `--sysfs-root`.
    case snapshot(SysfsImage)
    /// A kernel uevent with its properties in arrival order, values raw
    /// (`APMASK` keeps its trailing newline).
    case uevent(Uevent)
    /// A guest started or stopped using an mdev (libvirt hook, QEMU); the
    /// kernel sends no uevent for this.
    case guest(GuestRecord)
    /// A sysfs attribute the recorder read after an event, e.g.
    /// `/sys/devices/vfio_ap/matrix/<uuid>/guest_matrix`.
    ///
    /// - Parameters:
    ///   - path: the absolute logical sysfs path (`/sys/...`), independent of
    ///     any `--sysfs-root`.
    ///   - value: the raw content, trailing newline included.
    case observe(path: String, value: String)
    /// The persistent definition of an mdev (mdevctl's `/etc/mdevctl.d/matrix/<uuid>`)
    /// as the recorder read it: at startup and whenever the file changed.
    ///
    /// - Parameters:
    ///   - mdev: the UUID the file is named after.
    ///   - config: the file's raw content, or nil when the file was removed.
    case definition(mdev: MdevUUID, config: String?)
    /// chzdev's persistent AP bus mask rule (`/etc/udev/rules.d/41-ap.rules`) as
    /// the recorder read it: at startup when it exists, and whenever it changed.
    case apMaskRules(ConfigFileContent)
    /// The recorder's burst of events had settled and the host configuration
    /// masks were read back: an AP bus scan whose events the engine held is
    /// over (``HotplugEngine``'s `EngineEvent.settled`). Replay feeds it where
    /// it was recorded, so it decides at the same points as the daemon did.
    case settled
}

/// A parsed trace record and where it came from.
public struct TraceEntry: Equatable, Sendable {
    /// The 1-based line of the record in its file: the JSON line, or the
    /// `KERNEL[...]`/`UDEV [...]` header line of a udevadm block.
    public var line: Int
    public var record: TraceRecord
    /// When udevadm received the event (its `KERNEL[seconds.micros]` header), in
    /// microseconds; nil in JSON Lines traces, which mark the ends of bursts
    /// with `settled` records instead.
    public var microseconds: UInt64?

    public init(line: Int, record: TraceRecord, microseconds: UInt64? = nil) {
        self.line = line
        self.record = record
        self.microseconds = microseconds
    }
}
