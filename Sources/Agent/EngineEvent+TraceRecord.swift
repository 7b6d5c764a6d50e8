import APModel
import HotplugEngine
import Sysfs
import Trace

extension EngineEvent {
    /// The event a trace record is to the engine at `position`: the one
    /// conversion the daemon, `handle` and replay feed records through.
    ///
    /// - Throws: ``SnapshotError`` when a snapshot record lacks a required attribute.
    public init(_ record: TraceRecord, position: UInt64) throws(SnapshotError) {
        switch record {
        case .snapshot(let image):
            self = .snapshot(try SnapshotReader(tree: MemorySysfsTree(image)).read(), guests: [:], position: position)
        case .uevent(let uevent):
            self = .uevent(uevent, position: position)
        case .guest(let guest):
            switch guest.action {
            case .attach:
                self = .guestAttached(guest.mdev, name: guest.name ?? "unnamed", position: position)
            case .detach:
                self = .guestDetached(guest.mdev, name: guest.name, position: position)
            }
        case .observe(let path, let value):
            self = .observed(path: path, value: value, position: position)
        case .definition(let mdev, let config):
            self = .definitionChanged(mdev, DefinitionReading(mdevctlConfig: config, of: mdev), position: position)
        case .apMaskRules(let content):
            self = .apMaskRulesChanged(APMaskRulesReading(content), position: position)
        case .settled:
            self = .settled(position: position)
        }
    }
}
