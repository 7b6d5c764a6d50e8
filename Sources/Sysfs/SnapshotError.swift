/// Why a host snapshot could not be read from a sysfs tree.
public enum SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `bus/ap` does not exist: no AP bus (not an s390 host, or the wrong
    /// `--sysfs-root`). The path is the missing directory.
    case noAPBus(path: String)
    /// A required attribute, link or directory could not be read.
    case unreadable(SysfsError)
    /// An attribute's content is not in the kernel's format.
    case malformed(path: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .noAPBus(let path):
            return "no AP bus: \(path) does not exist (not an s390 host with AP support, or the wrong --sysfs-root)"
        case .unreadable(let error):
            return error.description
        case .malformed(let path, let value, let expected):
            return "\(path) holds '\(ErrnoText.visible(value))', expected \(expected)"
        }
    }
}
