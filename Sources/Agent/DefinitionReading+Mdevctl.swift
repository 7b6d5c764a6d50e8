internal import Glibc
import APModel
import HotplugEngine
import Sysfs
import Trace

extension DefinitionReading {
    /// What mdevctl's definition file of `uuid` says: `text` is the file's
    /// content, nil when there is no file. The daemon and replay read
    /// definitions through this one conversion.
    public init(mdevctlConfig text: String?, of uuid: MdevUUID) {
        guard let text else {
            self = .undefined
            return
        }
        do {
            self = .defined(try MdevctlConfigReader.read(text, fileName: MdevctlDirectory.logicalPath(of: uuid)))
        } catch {
            self = .unusable(reason: error.description)
        }
    }
}

/// mdevctl's configuration directory (`/etc/mdevctl.d`, ecosystem.md §1):
/// vfio_ap definitions are the files `matrix/<uuid>`.
public struct MdevctlDirectory: Sendable {
    /// `/etc/mdevctl.d`.
    public static let defaultPath = "/etc/mdevctl.d"
    /// The directory (`--mdevctl-dir`).
    public let path: String
    /// Called between two reads of a file that could not be used: mdevctl
    /// writes a definition in place (`write_config` in its `src/mdev.rs`, `fs::write`:
    /// truncate, then write), so a read can catch it empty or half written.
    let pause: @Sendable () -> Void
    /// How many times an unusable file is read again before it is reported.
    public static let rereads = 5

    /// - Parameter pause: between re-reads of an unusable file; 20 ms by default
    ///   (five re-reads span about libvirt's 100 ms debounce of the same directory).
    public init(path: String = Self.defaultPath, pause: (@Sendable () -> Void)? = nil) {
        self.path = path
        self.pause = pause ?? { usleep(20_000) }
    }

    /// A definition of all 256 adapters, domains and control domains is about 20 KB;
    /// a larger file is no definition and is not read whole.
    public static let fileLimit = 1 << 20

    /// The path named in messages and traces, independent of `--mdevctl-dir`.
    public static func logicalPath(of uuid: MdevUUID) -> String { "\(defaultPath)/matrix/\(uuid)" }

    /// The content of every definition file, by UUID. Files whose names are not
    /// UUIDs are not definitions and are passed over; a missing directory means
    /// no definitions; an unreadable file is left out (and so reads as removed).
    ///
    /// A file that cannot be used as a definition is read again, up to
    /// ``rereads`` times with ``pause`` between, unless its content is what
    /// `known` holds for it (already fed, and so already reported): what is
    /// reported as unusable is what stayed unusable, not mdevctl's write in passing.
    public func read(known: [MdevUUID: String] = [:]) -> [MdevUUID: String] {
        guard let tree = try? DirectorySysfsTree(root: path, fileLimit: Self.fileLimit),
              let names = try? tree.listDirectory("matrix") else { return [:] }
        var contents: [MdevUUID: String] = [:]
        for name in names {
            guard let uuid = MdevUUID(name), let first = try? tree.readAttribute("matrix/" + name) else { continue }
            contents[uuid] = rereading(first, pause: pause, while: { text in
                guard text != known[uuid], case .unusable = DefinitionReading(mdevctlConfig: text, of: uuid) else { return false }
                return true
            }, reread: { try? tree.readAttribute("matrix/" + name) })
        }
        return contents
    }
}
