import APTestSupport
import Agent
import Testing

@Suite struct HandleLockTests {
    @Test func theLockIsExclusiveAndTimesOut() throws {
        try withTemporaryDirectory { path in try theLockIsExclusiveAndTimesOut(in: path) }
    }

    func theLockIsExclusiveAndTimesOut(in directory: String) throws {
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
