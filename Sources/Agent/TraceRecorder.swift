import APModel
import Sysfs
import Trace

/// Where ``DaemonCore`` writes what it feeds the engine (`aphotplug record`):
/// every record in order, and each coldplug or rescan snapshot as the scan
/// reads the tree, so that a full-scale image never sits in memory whole.
public protocol TraceRecorder: AnyObject {
    /// One record (uevent, guest, observe, definition, settled), in the order fed.
    func record(_ record: TraceRecord)
    /// One file or link a scan read, for the snapshot record being written.
    func snapshotRead(_ read: RecordingSysfsTree<DirectorySysfsTree>.Read)
    /// The scan finished: the snapshot record is complete.
    func endSnapshot()
    /// The scan failed: the snapshot record begun is taken back.
    func abandonSnapshot()
}

/// A ``TraceRecorder`` that keeps the records in memory (tests, small tools).
public final class TraceRecordCollector: TraceRecorder {
    public private(set) var records: [TraceRecord] = []
    private var image = SysfsImage()

    public init() {}

    public func record(_ record: TraceRecord) { records.append(record) }

    public func snapshotRead(_ read: RecordingSysfsTree<DirectorySysfsTree>.Read) {
        switch read {
        case .file(let path, let value): image.files[path] = value
        case .link(let path, let target): image.links[path] = target
        }
    }

    public func endSnapshot() {
        records.append(.snapshot(image))
        image = SysfsImage()
    }

    public func abandonSnapshot() { image = SysfsImage() }
}
