internal import Glibc

/// The errno values the notifier and the lock tell apart.
enum KnownErrno {
    static let exists = EEXIST
    static let noEntry = ENOENT
    static let noSuchProcess = ESRCH
    static let notPermitted = EPERM
    static let badDescriptor = EBADF
    static let fault = EFAULT
    static let notSocket = ENOTSOCK
    static let invalid = EINVAL
    static let loop = ELOOP
}

/// The kind of a file that is not the regular file expected, for messages:
/// "a directory", "a symbolic link", "a FIFO", …
func fileKindText(_ mode: mode_t) -> String {
    switch mode & S_IFMT {
    case S_IFREG: return "a regular file"
    case S_IFDIR: return "a directory"
    case S_IFLNK: return "a symbolic link"
    case S_IFIFO: return "a FIFO"
    case S_IFSOCK: return "a socket"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    default: return "a file of unknown type"
    }
}

/// Whether `mode` is a regular file's.
func isRegularFile(_ mode: mode_t) -> Bool { mode & S_IFMT == S_IFREG }

/// `open(2)` flags and modes used by the lock file protocol.
enum LockFileFlags {
    static let createExclusive = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
    /// Reading an existing lock: a symbolic link fails (ELOOP) instead of being
    /// followed, and a FIFO opens at once instead of waiting for a writer.
    static let readOnly = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK
    /// 0644, as s390-tools creates it.
    static let mode: mode_t = 0o644
}

/// Human text for an errno (`strerror(3)`).
func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }
