internal import Glibc

/// `<state-dir>/handle.lock`: serializes `aphotplug handle` runs. udev runs
/// the RUN programs of different devices in parallel workers; each run reads,
/// updates and replaces the saved state, so two at once would lose an event.
///
/// An exclusive `flock(2)` on the file, taken with `LOCK_NB` and retried with a
/// short back-off until a deadline, so a hung holder cannot stall udev
/// workers for ever. The kernel drops the lock when the holder exits, however it exits.
public final class HandleLock {
    public static let name = "handle.lock"

    private var descriptor: Int32

    /// Takes the lock, waiting at most `timeout`.
    ///
    /// - Throws: ``HandleLockError`` when the file cannot be opened or the lock
    ///   stayed busy until the deadline.
    public init(stateDirectory: String, timeout: Duration) throws(HandleLockError) {
        let path = stateDirectory + "/" + Self.name
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        let deadline = ContinuousClock.now + timeout
        var pause = 100  // microseconds, doubled up to 5 ms
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            guard error == EWOULDBLOCK || error == EINTR else {
                close(descriptor)
                throw .cannotOpen(path: path, errno: error)
            }
            guard ContinuousClock.now < deadline else {
                close(descriptor)
                throw .timedOut(path: path, timeout: timeout)
            }
            usleep(useconds_t(pause))
            pause = min(pause * 2, 5_000)
        }
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
    case timedOut(path: String, timeout: Duration)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): return "\(path): \(errnoText(code))"
        case .timedOut(let path, let timeout): return "\(path): still locked by another aphotplug handle after \(timeout)"
        }
    }
}
