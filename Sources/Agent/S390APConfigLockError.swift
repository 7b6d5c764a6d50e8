/// Why the AP configuration lock could not be taken.
public struct S390APConfigLockError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// The private temporary file beside the lock could not be created or written
        /// (missing `/run/lock`, read-only file system, permissions).
        case temporaryFileFailed
        /// `link()` failed with something other than `EEXIST`.
        case linkFailed
        /// The lock file exists but cannot be opened or inspected (permissions).
        case lockUnreadable
        /// The lock path is no regular file (`kind`: a directory, a symbolic link, a FIFO, …):
        /// nobody following the protocol made it, and it is never removed for the caller.
        case notARegularFile(kind: String)
        /// A stale lock could not be unlinked (`errno` says why).
        case staleLockNotRemovable
        /// Another live process held the lock through every retry.
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
    }

    public var code: Code
    /// The lock path.
    public var path: String
    /// The errno, 0 where none applies.
    public var errno: Int32
    /// The PID found in the lock file at the last attempt, if any.
    public var holder: Int32?

    public init(code: Code, path: String, errno: Int32 = 0, holder: Int32? = nil) {
        self.code = code
        self.path = path
        self.errno = errno
        self.holder = holder
    }

    public var description: String {
        switch code {
        case .temporaryFileFailed: return "cannot create the temporary lock file beside \(path): \(errnoText(errno)) (errno \(errno))"
        case .linkFailed: return "link() to \(path) failed: \(errnoText(errno)) (errno \(errno))"
        case .lockUnreadable: return "cannot read \(path): \(errnoText(errno)) (errno \(errno))"
        case .notARegularFile(let kind):
            return "\(path) is \(kind), not a lock file; nothing following the lock protocol makes one: remove it"
        case .staleLockNotRemovable:
            return "\(path) is a stale lock but cannot be removed: \(errnoText(errno)) (errno \(errno))"
        case .timedOut: return "\(path) stayed held by " + (holder.map { "PID \($0)" } ?? "another process") + " through every retry"
        case .cancelled: return "waiting for \(path) was cancelled"
        }
    }
}
