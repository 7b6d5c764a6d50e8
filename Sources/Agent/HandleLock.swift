internal import Glibc
import Posix

/// `<state-dir>/handle.lock`: serializes `aphotplug handle` runs. udev runs
/// the RUN programs of different devices in parallel workers; each run reads,
/// updates and replaces the saved state, so two at once would lose an event.
///
/// An exclusive `flock(2)` on the file, taken with `LOCK_NB` and retried with a
/// short back-off until a deadline, so a hung holder cannot stall udev
/// workers for ever. The kernel drops the lock when the holder exits, however it exits.
///
/// The file is opened with `O_NOFOLLOW | O_NONBLOCK` and must be a regular file: a
/// symbolic link planted in the state directory does not make root create or lock its
/// target, and a FIFO cannot block the open.
public final class HandleLock {
    public static let name = "handle.lock"

    /// Set only once the lock is held, so a failed init leaves nothing for deinit to close.
    private var descriptor: Int32

    /// Takes the lock, waiting at most `timeout`.
    ///
    /// - Throws: ``HandleLockError`` when the file cannot be opened or the lock
    ///   stayed busy until the deadline.
    public init(stateDirectory: String, timeout: Duration) throws(HandleLockError) {
        let path = stateDirectory + "/" + Self.name
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
        guard opened >= 0 else {
            let error = errno
            if error == ELOOP { throw .notARegularFile(path: path, kind: "a symbolic link") }
            throw .cannotOpen(path: path, errno: error)
        }
        var info = stat()
        guard fstat(opened, &info) == 0 else {
            let error = errno
            close(opened)
            throw .cannotOpen(path: path, errno: error)
        }
        guard isRegularFile(info.st_mode) else {
            close(opened)
            throw .notARegularFile(path: path, kind: fileKindText(info.st_mode))
        }
        let deadline = ContinuousClock.now + timeout
        var pause = 100  // microseconds, doubled up to 5 ms
        while true {
            do {
                _ = try Posix.retrying { flock(opened, LOCK_EX | LOCK_NB) }
                break
            } catch .wouldBlock {
            } catch {
                close(opened)
                throw .cannotOpen(path: path, errno: error.rawValue)
            }
            guard ContinuousClock.now < deadline else {
                close(opened)
                throw .timedOut(path: path, timeout: timeout)
            }
            usleep(useconds_t(pause))
            pause = min(pause * 2, 5_000)
        }
        descriptor = opened
    }

    /// Releases the lock (closing the file releases it too).
    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

/// Why ``HandleLock`` could not be taken.
public enum HandleLockError: Error, Hashable, Sendable, CustomStringConvertible {
    case cannotOpen(path: String, errno: Int32)
    /// The path is a directory, a symbolic link, a FIFO, … (`kind`), not the lock file.
    case notARegularFile(path: String, kind: String)
    case timedOut(path: String, timeout: Duration)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): return "\(path): \(errnoText(code))"
        case .notARegularFile(let path, let kind): return "\(path) is \(kind), not a lock file: remove it"
        case .timedOut(let path, let timeout): return "\(path): still locked by another aphotplug handle after \(timeout)"
        }
    }
}
