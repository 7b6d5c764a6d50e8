import APModel
import APTestSupport
import Foundation
import Testing

/// `aphotplug daemon` (or `record`) running under umockdev on a fake AP tree, with an
/// injector; ready once `<state-dir>/state.json` exists.
final class DaemonHarness: DecisionPrinter {
    let testbed: UmockdevTestbed
    let process: ChildProcess
    let injector: UeventInjector
    /// `<testbed>/state`, outside the fake sysfs.
    let stateDir: String

    init(
        host: HostSnapshot = .standard, command: String = "daemon", arguments: [String] = [],
        environment: [String: String] = [:], testbed existing: UmockdevTestbed? = nil, keepingState: Bool = false
    ) async throws {
        testbed = try existing ?? UmockdevTestbed()
        if existing == nil { try testbed.write(host) }
        stateDir = testbed.root + "/state"
        // A restart test keeps the state file of the daemon before (its decisions show the rest).
        if !keepingState { try? FileManager.default.removeItem(atPath: stateDir + "/state.json") }
        process = try ChildProcess.underUmockdev(
            executable: try BuiltExecutable.path(named: "aphotplug"),
            arguments: [command, "--state-dir", stateDir] + arguments,
            testbed: testbed, extraEnvironment: ["JOURNAL_STREAM": ""].merging(environment) { $1 })
        let statePath = stateDir + "/state.json", child = process
        try await Self.waitUntil(timeout: .seconds(20), "state.json after coldplug; stderr: \(child.standardError)") {
            FileManager.default.fileExists(atPath: statePath)
        }
        injector = try UeventInjector(testbed: testbed)
    }

    var statePath: String { stateDir + "/state.json" }

    /// The state file's `state` object.
    func state() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: statePath))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(object["state"] as? [String: Any])
    }

    /// Sends SIGTERM and waits for the exit.
    func stop(signal: Int32 = SIGTERM) async throws -> ChildProcess.Termination {
        process.send(signal: signal)
        return try await process.waitForExit(timeout: .seconds(20))
    }

    /// Polls `condition` every 10 ms.
    static func waitUntil(timeout: Duration, _ what: @autoclosure () -> String, _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while try !condition() {
            guard ContinuousClock.now < deadline else { throw HarnessError.timedOut(what()) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Runs the built `aphotplug` (without umockdev) and returns its exit status and output.
    static func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutable.path(named: "aphotplug"))
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inp = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        try process.run()
        if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
        try inp.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Runs a bash command line (process substitution, pipes, redirections).
    static func runShell(_ command: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
