import Glibc
import Posix
import Testing

/// ``Posix/retrying(_:)``: `EINTR` is retried, any other errno is thrown typed.
@Suite struct RetryingTests {
    @Test("a call interrupted twice is retried until it succeeds")
    func interruptedCallIsRetried() throws {
        var calls = 0
        let result = try Posix.retrying { () -> Int32 in
            calls += 1
            if calls < 3 {
                Glibc.errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7)
        #expect(calls == 3)
    }

    @Test("another errno is thrown as it is, after one call")
    func otherErrnoIsThrown() {
        var calls = 0
        #expect(throws: Errno.noEntry) {
            try Posix.retrying { () -> Int32 in
                calls += 1
                Glibc.errno = ENOENT
                return -1
            }
        }
        #expect(calls == 1)
    }

    @Test("a read of a pipe interrupted by a real signal (SA_RESTART off) is retried")
    func readInterruptedBySignalIsRetried() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        // SIGUSR2, not SIGUSR1: UnixSignalSequenceTests traps SIGUSR1 in the same
        // process at the same time, and restoring its disposition under that test let
        // its kill(getpid(), SIGUSR1) end the whole run.
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0  // no SA_RESTART: read(2) fails with EINTR
        var previous = sigaction()
        #expect(sigaction(SIGUSR2, &action, &previous) == 0)
        defer { sigaction(SIGUSR2, &previous, nil) }
        let reader = pthread_self()
        let writer = ends[1]
        var thread = pthread_t()
        let context = UnsafeMutablePointer<(pthread_t, Int32)>.allocate(capacity: 1)
        context.initialize(to: (reader, writer))
        defer { context.deallocate() }
        #expect(pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let (reader, writer) = raw.assumingMemoryBound(to: (pthread_t, Int32).self).pointee
            usleep(100_000)
            pthread_kill(reader, SIGUSR2)
            usleep(100_000)
            var byte: UInt8 = 42
            _ = write(writer, &byte, 1)
            return nil
        }, context) == 0)
        var buffer = [UInt8](repeating: 0, count: 4)
        let count = try buffer.withUnsafeMutableBytes { try Posix.read(ends[0], into: $0) }
        pthread_join(thread, nil)
        #expect(count == 1)
        #expect(buffer[0] == 42)
    }

    @Test("writeAll writes every byte and readAll reads them back; readAll refuses more than its limit")
    func writeAllAndReadAll() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let bytes = (0..<1000).map { UInt8($0 & 0xff) }
        try Posix.writeAll(ends[1], bytes)
        close(ends[1])
        #expect(try Posix.readAll(ends[0], limit: 1000, chunk: 64) == bytes)

        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        try Posix.writeAll(ends[1], "0123456789")
        close(ends[1])
        #expect(try Posix.readAll(ends[0], limit: 9, chunk: 4) == nil)
    }

    @Test("writeAll to a closed pipe throws EPIPE")
    func writeAllToClosedPipe() {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        defer { close(ends[1]) }
        signal(SIGPIPE, SIG_IGN)
        #expect(throws: Errno(rawValue: EPIPE)) { try Posix.writeAll(ends[1], "x") }
    }
}
