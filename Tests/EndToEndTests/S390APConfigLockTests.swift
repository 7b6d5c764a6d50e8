import Agent
import Foundation
import Glibc
import Synchronization
import Testing

/// The s390-tools PID lock protocol on a lock path in a temporary directory.
@Suite("S390APConfigLock: s390-tools' PID lock file protocol")
struct S390APConfigLockTests {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path + "/s390apconfig.lock"
    }

    private func lock(retries: Int = 0, delay: Duration = .milliseconds(5)) -> S390APConfigLock {
        S390APConfigLock(path: path, retries: retries, retryDelay: delay, retryVariance: .milliseconds(1))
    }

    private func contents() -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    private func writeLock(_ text: String, age: Int? = nil) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        if let age {
            var times = [timespec(tv_sec: time(nil) - age, tv_nsec: 0), timespec(tv_sec: time(nil) - age, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        }
    }

    /// The PID of a process that has exited and been reaped.
    private func deadPID() throws -> Int32 {
        let process = try Process.run(URL(fileURLWithPath: "/bin/true"), arguments: [])
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test("defaults follow ecosystem.md §2: /run/lock/s390apconfig.lock, 3000 retries, 30–33 ms")
    func defaults() {
        let lock = S390APConfigLock()
        #expect(lock.path == "/run/lock/s390apconfig.lock")
        #expect(lock.retries == 3000)
        #expect(lock.retryDelay == .milliseconds(30))
        #expect(lock.retryVariance == .milliseconds(3))
        #expect(lock.ownerPID == getpid())
        #expect(S390APConfigLock.pidlessStaleAge == 120)
    }

    @Test("a free lock: acquired with '<pid>\\n', no temporary file left; release removes it")
    func acquireAndRelease() throws {
        let lock = lock()
        try lock.acquireBlocking()
        #expect(contents() == "\(getpid())\n")
        #expect(directory.entries == ["s390apconfig.lock"])
        #expect(lock.holder() == getpid())
        #expect(lock.release() == .released)
        #expect(directory.entries.isEmpty)
        #expect(lock.release() == .notLocked)
    }

    @Test("a lock held by a live process is left alone: busy, then timedOut after the retries")
    func liveHolder() throws {
        try writeLock("1\n")
        let lock = lock(retries: 3, delay: .milliseconds(10))
        #expect(try lock.tryAcquire() == .busy(holder: 1))
        let start = ContinuousClock.now
        let error = #expect(throws: S390APConfigLockError.self) { try lock.acquireBlocking() }
        #expect(error?.code == .timedOut)
        #expect(error?.holder == 1)
        #expect(ContinuousClock.now - start >= .milliseconds(30))
        #expect(contents() == "1\n")
        #expect(directory.entries == ["s390apconfig.lock"])
        #expect(lock.release() == .heldByOther(holder: 1))
        #expect(contents() == "1\n")
    }

    @Test("a lock whose PID is gone (kill(pid, 0) == ESRCH) is stale and taken at once")
    func stalePID() throws {
        let dead = try deadPID()
        try writeLock("\(dead)\n")
        #expect(try lock().tryAcquire() == .acquired)
        #expect(contents() == "\(getpid())\n")
    }

    @Test("a PID-less lock is busy while fresh and stale after 120 s", arguments: [("", 0, false), ("", 100, false), ("", 121, true), ("0\n", 5, false), ("0\n", 200, true)])
    func pidless(text: String, age: Int, stale: Bool) throws {
        try writeLock(text, age: age)
        let attempt = try lock().tryAcquire()
        #expect(attempt == (stale ? .acquired : .busy(holder: nil)))
        #expect(contents() == (stale ? "\(getpid())\n" : text))
    }

    @Test("contention between threads of one process goes through the file: mutual exclusion holds")
    func threadContention() async throws {
        let lock = lock(retries: 2_000, delay: .milliseconds(1))
        final class Counters: Sendable {
            let inside = Atomic<Int>(0)
            let overlaps = Atomic<Int>(0)
            let entries = Atomic<Int>(0)
        }
        let counters = Counters()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<10 {
                        try await lock.withLock {
                            if counters.inside.add(1, ordering: .sequentiallyConsistent).newValue != 1 {
                                counters.overlaps.add(1, ordering: .relaxed)
                            }
                            counters.entries.add(1, ordering: .relaxed)
                            try await Task.sleep(for: .milliseconds(2))
                            counters.inside.subtract(1, ordering: .sequentiallyConsistent)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(counters.entries.load(ordering: .relaxed) == 40)
        #expect(counters.overlaps.load(ordering: .relaxed) == 0)
        #expect(directory.entries.isEmpty)
    }

    @Test("contention with another process following the protocol (sh + ln)")
    func processContention() async throws {
        // The child takes the lock with link() and holds it until <lock>.go exists.
        let script = #"echo $$ > "$1.tmp$$" && ln "$1.tmp$$" "$1" || exit 3; rm -f "$1.tmp$$"; "#
            + #"while [ ! -e "$1.go" ]; do sleep 0.01; done; rm -f "$1""#
        let child = try Process.run(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", script, "sh", path])
        defer { _ = FileManager.default.createFile(atPath: path + ".go", contents: nil) }
        let deadline = ContinuousClock.now + .seconds(10)
        while contents() == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        #expect(lock().holder() == child.processIdentifier)

        let waiting = lock(retries: 2_000, delay: .milliseconds(5))
        let acquisition = Task { try await waiting.acquire() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(contents() == "\(child.processIdentifier)\n")
        _ = FileManager.default.createFile(atPath: path + ".go", contents: nil)
        try await acquisition.value
        #expect(contents() == "\(getpid())\n")
        child.waitUntilExit()
        #expect(child.terminationStatus == 0)

        // Now we hold it: the same protocol in another process fails to link.
        let second = try Process.run(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", script, "sh", path])
        second.waitUntilExit()
        #expect(second.terminationStatus == 3)
        #expect(waiting.release() == .released)
    }

    @Test("cancelling an async acquire ends it with .cancelled")
    func cancellation() async throws {
        try writeLock("1\n")
        let lock = lock(retries: 10_000, delay: .milliseconds(5))
        let task = Task { try await lock.acquire() }
        try await Task.sleep(for: .milliseconds(30))
        task.cancel()
        let result = await task.result
        #expect(throws: S390APConfigLockError(code: .cancelled, path: path, holder: 1)) { try result.get() }
    }

    @Test("withLock releases the lock when its body throws")
    func withLockReleasesOnThrow() async throws {
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await lock().withLock { throw Boom() }
        }
        #expect(contents() == nil)
    }

    @Test("an unusable lock directory is a temporaryFileFailed error with its errno")
    func missingDirectory() {
        let lock = S390APConfigLock(path: directory.path + "/missing/s390apconfig.lock", retries: 0)
        let error = #expect(throws: S390APConfigLockError.self) { try lock.acquireBlocking() }
        #expect(error?.code == .temporaryFileFailed)
        #expect(error?.errno == ENOENT)
    }
}
