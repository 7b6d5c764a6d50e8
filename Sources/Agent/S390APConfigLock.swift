internal import Glibc
import Posix
import Synchronization

/// The AP configuration lock of s390-tools (`/run/lock/s390apconfig.lock`): a PID lock
/// file, taken by `ap-check` (for mdevctl), `chzdev` and aphotplug around every matrix,
/// `ap_config` or AP mask change.
///
/// The protocol is s390-tools' `libutil/util_lockfile.c` as used by `libap/ap.c`
/// (ecosystem.md §2):
/// - **Acquire.** Write `<pid>\n` into a private temporary file beside the lock, created
///   with `O_EXCL`, and `link()` it to the lock path. Success holds the lock; the
///   temporary file is removed either way.
/// - **Stale locks.** When `link()` fails, the lock file is read. A PID for which
///   `kill(pid, 0)` fails with `ESRCH` is stale; so is a file without a PID whose mtime is
///   more than 120 s old. A stale lock is unlinked and the `link()` retried at once.
/// - **Busy.** Otherwise sleep and retry: up to ``retries`` times, one delay drawn per
///   acquisition from `retryDelay ..< retryDelay + retryVariance` (3000 × 30–33 ms,
///   about 90–100 s).
/// - **Release** unlinks the file only if it holds our PID.
///
/// Deviations, invisible to other lock users: the temporary file name has a
/// per-process counter appended, so two threads of one process can contend through the
/// file; a `link()` failure other than `EEXIST` is an error instead of an endless retry.
///
/// The lock lives in a sticky, world-writable directory, so what sits at the lock path is
/// untrusted: it is opened with `O_NOFOLLOW | O_NONBLOCK` (a symbolic link fails, a FIFO
/// cannot block) and must be a regular file, else ``S390APConfigLockError/Code/notARegularFile(kind:)``
/// names what it is. An unlink of a stale lock that fails is an error, not "removed"; a
/// lock that keeps vanishing or turning stale counts as busy after
/// ``immediateRelinks`` re-links, so every attempt ends and the retries bound the wait.
public struct S390APConfigLock: Sendable {
    /// `/run/lock/s390apconfig.lock`.
    public static let defaultPath = "/run/lock/s390apconfig.lock"
    /// A lock file without a PID is stale once its mtime is this old (s390-tools `WAITPID`).
    public static let pidlessStaleAge: Int = 120
    /// Retries after the first busy attempt, 30–33 ms apart: about 100 s, as s390-tools waits.
    public static let defaultRetries = 3000

    /// The lock file; injectable for tests.
    public var path: String
    /// Retries after the first busy attempt.
    public var retries: Int
    /// The shortest pause between attempts.
    public var retryDelay: Duration
    /// The random extra on top of ``retryDelay``, drawn once per acquisition.
    public var retryVariance: Duration
    /// The PID written into the lock and compared on release; `getpid()` unless given.
    public var ownerPID: Int32

    public init(
        path: String = Self.defaultPath, retries: Int = Self.defaultRetries,
        retryDelay: Duration = .milliseconds(30), retryVariance: Duration = .milliseconds(3),
        ownerPID: Int32? = nil
    ) {
        self.path = path
        self.retries = retries
        self.retryDelay = retryDelay
        self.retryVariance = retryVariance
        self.ownerPID = ownerPID ?? getpid()
    }

    /// The outcome of one attempt.
    public enum Attempt: Hashable, Sendable {
        /// We hold the lock now.
        case acquired
        /// A live process (or a fresh PID-less file) holds it; `holder` is the PID read, if any.
        case busy(holder: Int32?)
    }

    /// What ``release()`` found.
    public enum Release: Hashable, Sendable {
        /// The file held our PID and was removed.
        case released
        /// There was no lock file.
        case notLocked
        /// The file holds another PID (or none): left alone.
        case heldByOther(holder: Int32?)
    }

    /// Re-links at once after a stale lock was removed (or the lock vanished) before an
    /// attempt counts as busy and the caller backs off.
    public static let immediateRelinks = 3

    /// One acquisition attempt without sleeping: `link()`, and on failure the stale-lock
    /// check, which may unlink a stale lock and link again at once.
    public func tryAcquire() throws(S390APConfigLockError) -> Attempt {
        let temporary = try TemporaryLockFile(lockPath: path, ownerPID: ownerPID)
        defer { temporary.remove() }
        return try attempt(linking: temporary)
    }

    /// Takes the lock, sleeping the calling thread between attempts (up to ~100 s with
    /// the defaults). For synchronous realizer code; async code calls ``acquire()``.
    public func acquireBlocking() throws(S390APConfigLockError) {
        let temporary = try TemporaryLockFile(lockPath: path, ownerPID: ownerPID)
        defer { temporary.remove() }
        let pause = drawDelay()
        var holder: Int32?
        for attemptNumber in 0...max(0, retries) {
            if attemptNumber > 0 { Self.sleepThread(pause) }
            switch try attempt(linking: temporary) {
            case .acquired: return
            case .busy(let pid): holder = pid
            }
        }
        throw S390APConfigLockError(code: .timedOut, path: path, holder: holder)
    }

    /// Takes the lock, suspending the task between attempts.
    ///
    /// - Throws: ``S390APConfigLockError`` with code `timedOut`, `cancelled`, or a file error.
    public func acquire() async throws(S390APConfigLockError) {
        let temporary = try TemporaryLockFile(lockPath: path, ownerPID: ownerPID)
        defer { temporary.remove() }
        let pause = drawDelay()
        var holder: Int32?
        for attemptNumber in 0...max(0, retries) {
            if attemptNumber > 0 {
                do { try await Task.sleep(for: pause) } catch {
                    throw S390APConfigLockError(code: .cancelled, path: path, holder: holder)
                }
            }
            switch try attempt(linking: temporary) {
            case .acquired: return
            case .busy(let pid): holder = pid
            }
        }
        throw S390APConfigLockError(code: .timedOut, path: path, holder: holder)
    }

    /// Removes the lock file if it holds ``ownerPID``.
    @discardableResult
    public func release() -> Release {
        let descriptor = open(path, LockFileFlags.readOnly)
        guard descriptor >= 0 else { return Glibc.errno == KnownErrno.noEntry ? .notLocked : .heldByOther(holder: nil) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, isRegularFile(info.st_mode) else {
            close(descriptor)
            return .heldByOther(holder: nil)
        }
        let content = Self.readPIDText(descriptor)
        close(descriptor)
        guard let content, !content.isEmpty else { return .heldByOther(holder: nil) }
        let pid = Self.atoi(content)
        guard pid == ownerPID else { return .heldByOther(holder: pid) }
        unlink(path)
        return .released
    }

    /// The PID in the lock file, nil when there is no file or no PID (like
    /// `util_lockfile_peek_owner`).
    public func holder() -> Int32? {
        let descriptor = open(path, LockFileFlags.readOnly)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, isRegularFile(info.st_mode) else { return nil }
        guard let content = Self.readPIDText(descriptor), !content.isEmpty else { return nil }
        let pid = Self.atoi(content)
        return pid == 0 ? nil : pid
    }

    /// Runs `body` while holding the lock and releases it afterwards, also when `body` throws.
    public func withLock<Result>(_ body: () async throws -> Result) async throws -> Result {
        try await acquire()
        defer { release() }
        return try await body()
    }

    // MARK: - Protocol steps

    private func attempt(linking temporary: TemporaryLockFile) throws(S390APConfigLockError) -> Attempt {
        var relinks = 0
        while true {
            let code: Int32
            do {
                _ = try Posix.retrying { link(temporary.path, path) }
                return .acquired
            } catch {
                code = error.rawValue
            }
            guard code == KnownErrno.exists else {
                throw S390APConfigLockError(code: .linkFailed, path: path, errno: code)
            }
            switch try inspectExistingLock() {
            case .staleRemoved, .vanished:
                // Another process may be racing us through the same steps: after a few
                // rounds let the caller back off instead of spinning.
                relinks += 1
                if relinks > Self.immediateRelinks { return .busy(holder: nil) }
            case .held(let holder):
                return .busy(holder: holder)
            }
        }
    }

    private enum Inspection {
        /// The lock was stale and has been unlinked: link again at once.
        case staleRemoved
        /// The lock disappeared between `link()` and `open()`: link again at once.
        case vanished
        /// A live holder, or a fresh file still waiting for its PID.
        case held(holder: Int32?)
    }

    /// s390-tools `handle_stale_lock()`.
    private func inspectExistingLock() throws(S390APConfigLockError) -> Inspection {
        let descriptor = open(path, LockFileFlags.readOnly)
        guard descriptor >= 0 else {
            let code = Glibc.errno
            if code == KnownErrno.noEntry { return .vanished }
            if code == KnownErrno.loop {
                throw S390APConfigLockError(code: .notARegularFile(kind: "a symbolic link"), path: path, errno: code)
            }
            throw S390APConfigLockError(code: .lockUnreadable, path: path, errno: code)
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw S390APConfigLockError(code: .lockUnreadable, path: path, errno: Glibc.errno)
        }
        guard isRegularFile(info.st_mode) else {
            throw S390APConfigLockError(code: .notARegularFile(kind: fileKindText(info.st_mode)), path: path)
        }
        if let content = Self.readPIDText(descriptor), !content.isEmpty {
            let pid = Self.atoi(content)
            if !Self.processExists(pid) { return try removeStaleLock() }
            if pid != 0 { return .held(holder: pid) }
            // PID 0: treated like a file whose PID has not been written yet.
        }
        // `mtime < now - age`, not `now > mtime + age`: the mtime is the file owner's to set.
        if info.st_mtim.tv_sec < time(nil) - Self.pidlessStaleAge { return try removeStaleLock() }
        return .held(holder: nil)
    }

    /// Unlinks the stale lock; one that vanished meanwhile counts as removed.
    private func removeStaleLock() throws(S390APConfigLockError) -> Inspection {
        guard unlink(path) == 0 else {
            let code = Glibc.errno
            if code == KnownErrno.noEntry { return .vanished }
            throw S390APConfigLockError(code: .staleLockNotRemovable, path: path, errno: code)
        }
        return .staleRemoved
    }

    /// `kill(pid, 0)`: ESRCH means gone; EPERM means it exists but is not ours to signal.
    /// A negative PID (atoi of "-1") would address process groups: it names no holder.
    private static func processExists(_ pid: Int32) -> Bool {
        guard pid >= 0 else { return false }
        if kill(pid, 0) == 0 { return true }
        let code = Glibc.errno
        switch code {
        case KnownErrno.notPermitted: return true
        case KnownErrno.noSuchProcess: return false
        default:
            preconditionFailure("kill(\(pid), 0) failed with errno \(code); signal 0 is always valid, so this cannot happen.")
        }
    }

    /// Up to 40 bytes of the lock file (s390-tools `BUFSIZE`), nil when unreadable.
    private static func readPIDText(_ descriptor: Int32) -> [CChar]? {
        var buffer = [CChar](repeating: 0, count: 41)
        let count = read(descriptor, &buffer, 40)
        guard count >= 0 else { return nil }
        return Array(buffer[0..<count]) + [0]
    }

    /// C `atoi()` on the file's bytes, as s390-tools parses them.
    private static func atoi(_ text: [CChar]) -> Int32 {
        guard text.count > 1 else { return 0 }
        return Glibc.atoi(text)
    }

    private func drawDelay() -> Duration {
        let variance = retryVariance.components
        let extraNanoseconds = variance.seconds * 1_000_000_000 + variance.attoseconds / 1_000_000_000
        guard extraNanoseconds > 0 else { return retryDelay }
        return retryDelay + .nanoseconds(Int64.random(in: 0..<extraNanoseconds))
    }

    private static func sleepThread(_ duration: Duration) { Posix.sleep(duration) }
}

/// The private file that is `link()`ed to the lock path: `<lock><pid %05d><time & 255 %02x>`
/// as s390-tools names it, plus `.<n>` from a per-process counter.
private struct TemporaryLockFile {
    private static let counter = Atomic<Int>(0)

    let path: String

    init(lockPath: String, ownerPID: Int32) throws(S390APConfigLockError) {
        let serial = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        let pid = String(getpid())
        let stamp = String(Int(time(nil)) & 255, radix: 16)
        path = lockPath + String(repeating: "0", count: max(0, 5 - pid.count)) + pid
            + (stamp.count < 2 ? "0" : "") + stamp + ".\(serial)"
        let descriptor = open(path, LockFileFlags.createExclusive, LockFileFlags.mode)
        guard descriptor >= 0 else {
            throw S390APConfigLockError(code: .temporaryFileFailed, path: lockPath, errno: Glibc.errno)
        }
        let content = Array("\(ownerPID)\n".utf8)
        let written = write(descriptor, content, content.count)
        let writeError = Glibc.errno
        let closed = close(descriptor)
        guard written == content.count, closed == 0 else {
            unlink(path)
            throw S390APConfigLockError(code: .temporaryFileFailed, path: lockPath, errno: written < 0 ? writeError : 0)
        }
    }

    func remove() { unlink(path) }
}
