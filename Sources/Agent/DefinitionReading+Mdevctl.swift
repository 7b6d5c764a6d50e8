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

    public init(path: String = Self.defaultPath) { self.path = path }

    /// A definition of all 256 adapters, domains and control domains is about 20 KB;
    /// a larger file is no definition and is not read whole.
    public static let fileLimit = 1 << 20

    /// The path named in messages and traces, independent of `--mdevctl-dir`.
    public static func logicalPath(of uuid: MdevUUID) -> String { "\(defaultPath)/matrix/\(uuid)" }

    /// The content of every definition file, by UUID. Files whose names are not
    /// UUIDs are not definitions and are passed over; a missing directory means
    /// no definitions; an unreadable file is left out (and so reads as removed).
    public func read() -> [MdevUUID: String] {
        guard let tree = try? DirectorySysfsTree(root: path, fileLimit: Self.fileLimit),
              let names = try? tree.listDirectory("matrix") else { return [:] }
        var contents: [MdevUUID: String] = [:]
        for name in names {
            guard let uuid = MdevUUID(name), let text = try? tree.readAttribute("matrix/" + name) else { continue }
            contents[uuid] = text
        }
        return contents
    }
}
