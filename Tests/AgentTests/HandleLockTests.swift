import APTestSupport
import Agent
import Foundation
import Glibc
import Synchronization
import Testing

@Suite struct HandleLockTests {
    /// No upper bound on time anywhere: under parallel load a wait may take longer, never shorter.
    @Test func theLockIsExclusiveAndTimesOut() throws {
        try withTemporaryDirectory { directory in
            let held = try HandleLock(stateDirectory: directory, timeout: .seconds(1))
            let clock = ContinuousClock()
            let start = clock.now
            #expect(throws: HandleLockError.timedOut(path: directory + "/handle.lock", timeout: .milliseconds(50))) {
                _ = try HandleLock(stateDirectory: directory, timeout: .milliseconds(50))
            }
            #expect(clock.now - start >= .milliseconds(50))
            held.release()
            _ = try HandleLock(stateDirectory: directory, timeout: .zero)
        }
    }

    @Test("a planted symbolic link handle.lock: refused, and its target is not created")
    func symlinkIsRefused() throws {
        try withTemporaryDirectory { directory in
            let target = directory + "/created-by-root"
            #expect(symlink(target, directory + "/handle.lock") == 0)
            #expect(throws: HandleLockError.notARegularFile(path: directory + "/handle.lock", kind: "a symbolic link")) {
                _ = try HandleLock(stateDirectory: directory, timeout: .zero)
            }
            #expect(access(target, F_OK) != 0)
        }
    }

    @Test("a FIFO or a directory handle.lock: refused at once, naming what it is")
    func otherFileTypes() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/handle.lock"
            #expect(mkfifo(path, 0o600) == 0)
            #expect(throws: HandleLockError.notARegularFile(path: path, kind: "a FIFO")) {
                _ = try HandleLock(stateDirectory: directory, timeout: .zero)
            }
            #expect(unlink(path) == 0 && mkdir(path, 0o700) == 0)
            // O_RDWR on a directory fails with EISDIR before any type check.
            #expect(throws: HandleLockError.cannotOpen(path: path, errno: EISDIR)) {
                _ = try HandleLock(stateDirectory: directory, timeout: .zero)
            }
        }
    }

    /// A failed init closed its descriptor, then deinit closed the same number again:
    /// whatever another thread had opened under that number meanwhile was closed
    /// under it. Another thread keeps opening files and checks that each is still its own.
    @Test("a failed init closes its descriptor once: no other thread's file is closed")
    func failedInitClosesOnce() throws {
        try withTemporaryDirectory { directory in
            let held = try HandleLock(stateDirectory: directory, timeout: .seconds(1))
            let stop = Atomic<Bool>(false)
            let stolen = Atomic<Int>(0)
            let finished = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                while !stop.load(ordering: .relaxed) {
                    let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
                    guard descriptor >= 0 else { continue }
                    for _ in 0..<20 where fcntl(descriptor, F_GETFD) == -1 { stolen.add(1, ordering: .relaxed) }
                    if close(descriptor) != 0 { stolen.add(1, ordering: .relaxed) }
                }
                finished.signal()
            }
            for _ in 0..<20_000 {
                _ = try? HandleLock(stateDirectory: directory, timeout: .zero)
            }
            stop.store(true, ordering: .relaxed)
            finished.wait()
            held.release()
            #expect(stolen.load(ordering: .relaxed) == 0)
        }
    }
}
