import APTestSupport
import Agent
import Foundation
import Glibc
import Testing

/// What a local user can leave at `/run/lock/s390apconfig.lock` (a sticky,
/// world-writable directory): every attempt ends, within the retries, with a
/// reason that names what is wrong.
@Suite("S390APConfigLock: hostile lock paths")
struct S390APConfigLockHostileTests {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/s390apconfig.lock"
    }

    private func lock(retries: Int = 3) -> S390APConfigLock {
        S390APConfigLock(path: path, retries: retries, retryDelay: .milliseconds(5), retryVariance: .milliseconds(1))
    }

    /// The error of `acquireBlocking()`, or nil if it did not end within 5 s.
    private func acquisitionError() -> Result<Void, S390APConfigLockError>? {
        let lock = lock()
        return finishing(within: .seconds(5)) {
            Result { () throws(S390APConfigLockError) in try lock.acquireBlocking() }
        }
    }

    private func makeOld(_ path: String) {
        let old = time(nil) - 1000
        var times = [timespec(tv_sec: old, tv_nsec: 0), timespec(tv_sec: old, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) == 0)
    }

    @Test("an old directory at the lock path: notARegularFile, no spin on EISDIR")
    func oldDirectory() throws {
        #expect(mkdir(path, 0o755) == 0)
        makeOld(path)
        let result = try #require(acquisitionError(), "acquireBlocking() did not end")
        #expect(throws: S390APConfigLockError(code: .notARegularFile(kind: "a directory"), path: path)) { try result.get() }
        #expect(directory.entries == ["s390apconfig.lock"])
    }

    @Test("a dangling symbolic link at the lock path: notARegularFile, not 'vanished' for ever")
    func danglingSymlink() throws {
        #expect(symlink(directory.path + "/nowhere", path) == 0)
        let result = try #require(acquisitionError(), "acquireBlocking() did not end")
        let error = #expect(throws: S390APConfigLockError.self) { try result.get() }
        #expect(error?.code == .notARegularFile(kind: "a symbolic link"))
        #expect(error?.description.contains("symbolic link") == true)
    }

    @Test("a symbolic link to a stale lock elsewhere is not followed, and its target survives")
    func symlinkToAFile() throws {
        let target = directory.path + "/victim"
        try "999999999\n".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(symlink(target, path) == 0)
        let result = try #require(acquisitionError(), "acquireBlocking() did not end")
        let error = #expect(throws: S390APConfigLockError.self) { try result.get() }
        #expect(error?.code == .notARegularFile(kind: "a symbolic link"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "999999999\n")
        #expect(lock().holder() == nil)
        #expect(lock().release() == .heldByOther(holder: nil))
    }

    @Test("a FIFO at the lock path: notARegularFile at once, no block in open()")
    func fifo() throws {
        #expect(mkfifo(path, 0o644) == 0)
        let result = try #require(acquisitionError(), "acquireBlocking() did not end")
        #expect(throws: S390APConfigLockError(code: .notARegularFile(kind: "a FIFO"), path: path)) { try result.get() }
        #expect(lock().holder() == nil)
        let releasing = lock()
        let released: S390APConfigLock.Release? = finishing(within: .seconds(5)) { releasing.release() }
        #expect(released == .heldByOther(holder: nil))
    }

    @Test("a PID that is negative names no holder: stale, and taken")
    func negativePID() throws {
        try "-1\n".write(toFile: path, atomically: false, encoding: .utf8)
        let result = try #require(acquisitionError(), "acquireBlocking() did not end")
        try result.get()
        #expect(lock().release() == .released)
    }
}
