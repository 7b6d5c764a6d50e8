internal import Glibc

/// The state directory (`--state-dir`, `/run/aphotplug`): root writes its state
/// files, lock and control socket there, so nobody else may be able to plant
/// anything in it. It is created mode 0755 when missing; an existing one must be
/// a directory (not a symbolic link), owned by the running user (root on a
/// host), and writable by nobody else.
public enum StateDirectory {
    /// Why a state directory is refused.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// It could not be created or inspected.
        case unusable(path: String, errno: Int32)
        /// It is a symbolic link, a file, … (`kind`).
        case notADirectory(path: String, kind: String)
        /// It belongs to another user.
        case foreignOwner(path: String, owner: UInt32, expected: UInt32)
        /// Its group or others may write into it (`mode` is the permission bits).
        case writableByOthers(path: String, mode: UInt32)

        public var description: String {
            switch self {
            case .unusable(let path, let code): return "\(path): \(errnoText(code))"
            case .notADirectory(let path, let kind): return "\(path) is \(kind), not a directory"
            case .foreignOwner(let path, let owner, let expected):
                return "\(path) is owned by uid \(owner), not by uid \(expected) that runs aphotplug: refused"
            case .writableByOthers(let path, let mode):
                return "\(path) is writable by group or others (mode \(String(mode, radix: 8))): refused; chmod go-w it"
            }
        }

        /// The errno that best stands for the problem (for exit codes and old callers).
        public var errno: Int32 {
            switch self {
            case .unusable(_, let code): return code
            case .notADirectory: return ENOTDIR
            case .foreignOwner, .writableByOthers: return EPERM
            }
        }
    }

    /// Creates `path` (mode 0755) when missing, then checks it; nil when it may be used.
    public static func prepare(_ path: String) -> Problem? {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { return .unusable(path: path, errno: errno) }
        return check(path)
    }

    /// Checks an existing state directory; nil when it may be used.
    public static func check(_ path: String) -> Problem? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .unusable(path: path, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFDIR else { return .notADirectory(path: path, kind: fileKindText(info.st_mode)) }
        guard info.st_uid == geteuid() else { return .foreignOwner(path: path, owner: info.st_uid, expected: geteuid()) }
        guard info.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            return .writableByOthers(path: path, mode: UInt32(info.st_mode & 0o7777))
        }
        return nil
    }
}
