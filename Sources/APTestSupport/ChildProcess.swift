import Foundation
import Glibc
import Posix
import Synchronization

/// A program under test, started with `Foundation.Process`, whose standard output is
/// collected line by line on a reader thread (so a chatty child never blocks on a full
/// pipe) and whose standard error is kept for failure messages.
///
/// A child still running at deinit is killed with SIGKILL and reaped.
public final class ChildProcess: @unchecked Sendable {
    /// How the child ended.
    public struct Termination: Hashable, Sendable, CustomStringConvertible {
        /// Exit status, or the signal number when ``bySignal``.
        public var status: Int32
        /// Whether a signal ended it.
        public var bySignal: Bool

        public init(status: Int32, bySignal: Bool) {
            self.status = status
            self.bySignal = bySignal
        }

        public var description: String { bySignal ? "killed by signal \(status)" : "exit \(status)" }
    }

    private let process = Process()
    private let output = LineCollector()
    private let errorOutput = LineCollector()

    /// Starts `executable` with exactly `environment`.
    public init(executable: String, arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()
        output.start(reading: stdout.fileHandleForReading)
        errorOutput.start(reading: stderr.fileHandleForReading)
    }

    /// Starts `executable` under umockdev: `LD_PRELOAD=<preload>`, `UMOCKDEV_DIR=<testbed>`,
    /// plus this process's environment and `extraEnvironment`.
    public static func underUmockdev(
        executable: String, arguments: [String], testbed: UmockdevTestbed,
        extraEnvironment: [String: String] = [:]
    ) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = try UmockdevPreload.require()
        environment["UMOCKDEV_DIR"] = testbed.root
        environment.merge(extraEnvironment) { $1 }
        return try ChildProcess(executable: executable, arguments: arguments, environment: environment)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The child's PID.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// Complete standard output lines so far, without their newlines.
    public var outputLines: [String] { output.lines }

    /// Standard error so far.
    public var standardError: String { errorOutput.lines.joined(separator: "\n") }

    /// Sends `signal` to the child.
    public func send(signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for an output line satisfying `predicate` and returns the first such line.
    public func waitForLine(
        timeout: Duration = .seconds(10), _ description: String = "an output line",
        where predicate: (String) -> Bool
    ) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var checked = 0
        while true {
            let lines = output.lines
            if let line = lines[checked...].first(where: predicate) { return line }
            checked = lines.count
            guard ContinuousClock.now < deadline, process.isRunning || !output.finished else {
                throw HarnessError.timedOut("\(description); stdout: \(lines.suffix(5)); stderr: \(standardError.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Waits until at least `count` output lines exist and returns all lines.
    public func waitForLines(count: Int, timeout: Duration = .seconds(30)) async throws -> [String] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let lines = output.lines
            if lines.count >= count { return lines }
            guard ContinuousClock.now < deadline, process.isRunning || !output.finished else {
                throw HarnessError.timedOut("\(count) output lines (have \(lines.count)); stderr: \(standardError.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits for the child to end (and for its output and error output to be read to the end).
    public func waitForExit(timeout: Duration = .seconds(10)) async throws -> Termination {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning || !output.finished || !errorOutput.finished {
            guard ContinuousClock.now < deadline else { throw HarnessError.timedOut("the child to exit") }
            try await Task.sleep(for: .milliseconds(5))
        }
        process.waitUntilExit()
        return Termination(status: process.terminationStatus, bySignal: process.terminationReason == .uncaughtSignal)
    }
}

/// Reads a pipe to its end on a dedicated thread and splits it into lines.
private final class LineCollector: @unchecked Sendable {
    private let state = Mutex<(lines: [String], finished: Bool)>(([], false))

    var lines: [String] { state.withLock { $0.lines } }
    var finished: Bool { state.withLock { $0.finished } }

    func start(reading handle: FileHandle) {
        let descriptor = handle.fileDescriptor
        let thread = Thread { [self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = (try? buffer.withUnsafeMutableBytes { raw in
                    Result { () throws(Errno) in try Posix.read(descriptor, into: raw) }
                }.get()) ?? -1
                if count <= 0 { break }
                pending += buffer[0..<count]
                var newLines: [String] = []
                var start = 0
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    newLines.append(String(decoding: pending[start..<newline], as: UTF8.self))
                    start = newline + 1
                }
                pending.removeFirst(start)
                if !newLines.isEmpty { state.withLock { $0.lines += newLines } }
            }
            let rest = pending
            state.withLock {
                if !rest.isEmpty { $0.lines.append(String(decoding: rest, as: UTF8.self)) }
                $0.finished = true
            }
            withExtendedLifetime(handle) {}
        }
        thread.start()
    }
}

extension ChildProcess {
    /// Runs `start` on a new thread that blocks `signals`, so the child inherits that
    /// mask, as it does when `Foundation.Process` runs on a libdispatch worker
    /// (testing-with-umockdev.md §5.3).
    public static func startedWithBlocked(
        signals: [Int32], _ start: @escaping @Sendable () throws -> ChildProcess
    ) throws -> ChildProcess {
        let result = Mutex<Result<ChildProcess, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var set = sigset_t()
            sigemptyset(&set)
            for signal in signals { sigaddset(&set, signal) }
            pthread_sigmask(SIG_BLOCK, &set, nil)
            let outcome = Result { try start() }
            result.withLock { $0 = outcome }
            done.signal()
        }
        thread.start()
        done.wait()
        return try result.withLock { $0! }.get()
    }
}
