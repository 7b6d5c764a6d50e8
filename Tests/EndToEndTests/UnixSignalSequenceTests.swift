import Agent
import Foundation
import Glibc
import Synchronization
import Testing

@Suite("Signals: UnixSignalSequence and ProcessSignalMask", .serialized)
struct UnixSignalSequenceTests {
    @Test("a trapped signal sent after init arrives on the sequence instead of killing the process")
    func trappedSignalArrives() async throws {
        let signals = await UnixSignalSequence(trapping: [SIGUSR1])
        kill(getpid(), SIGUSR1)
        var iterator = signals.makeAsyncIterator()
        let received = await iterator.next()
        #expect(received == SIGUSR1)
    }

    @Test("unblockAll clears a mask that blocks SIGTERM")
    func unblockAll() throws {
        let observed = Mutex<(before: Bool, after: Bool)?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &set, nil)
            let before = ProcessSignalMask.isBlocked(SIGTERM)
            ProcessSignalMask.unblockAll()
            observed.withLock { $0 = (before, ProcessSignalMask.isBlocked(SIGTERM)) }
            done.signal()
        }
        thread.start()
        done.wait()
        let result = try #require(observed.withLock { $0 })
        #expect(result.before)
        #expect(!result.after)
    }
}
