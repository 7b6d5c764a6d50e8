import Agent
import Synchronization
import Testing

@Suite struct InFlightLimitTests {
    /// Set by a task once its acquire returned.
    final class Flag: Sendable {
        private let atomic = Atomic<Bool>(false)
        func set() { atomic.store(true, ordering: .sequentiallyConsistent) }
        var isSet: Bool { atomic.load(ordering: .sequentiallyConsistent) }
    }

    /// Starts a task that acquires once and then sets `flag`.
    static func acquiring(_ limit: InFlightLimit, _ flag: Flag) -> Task<Void, Never> {
        Task {
            await limit.acquire()
            flag.set()
        }
    }

    @Test("up to the limit acquire returns at once; the next waits until half the limit is free")
    func waitsForRelease() async throws {
        let limit = InFlightLimit(limit: 4)
        for _ in 0..<4 { await limit.acquire() }
        #expect(limit.inFlight == 4)
        let flag = Flag()
        let task = Self.acquiring(limit, flag)
        try await Task.sleep(for: .milliseconds(50))
        #expect(!flag.isSet)
        limit.release()
        try await Task.sleep(for: .milliseconds(50))
        #expect(!flag.isSet)
        #expect(limit.inFlight == 3)
        limit.release()
        await task.value
        #expect(flag.isSet)
        #expect(limit.inFlight == 3)
        limit.release()
        #expect(limit.inFlight == 2)
    }

    @Test("a cancelled producer stops waiting")
    func cancellation() async throws {
        let limit = InFlightLimit(limit: 1)
        await limit.acquire()
        let flag = Flag()
        let task = Self.acquiring(limit, flag)
        try await Task.sleep(for: .milliseconds(20))
        #expect(!flag.isSet)
        task.cancel()
        await task.value
        #expect(flag.isSet)
    }
}
