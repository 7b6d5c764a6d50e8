import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// `aphotplug daemon` on a fake AP tree (`--sysfs-root`, no umockdev), in a
/// ``PrivateNetworkNamespace``, receiving the uevents a ``NetlinkUeventSender``
/// multicasts into that namespace over real netlink.
final class NetlinkDaemonHarness: DecisionPrinter {
    /// A plain directory with the fake sysfs in `sys/` (umockdev's layout, no preload).
    let testbed: UmockdevTestbed
    let process: ChildProcess
    let sender: NetlinkUeventSender
    let stateDir: String

    init(host: HostSnapshot, arguments: [String] = []) async throws {
        testbed = try UmockdevTestbed()
        try testbed.write(host)
        stateDir = testbed.root + "/state"
        var environment = ProcessInfo.processInfo.environment
        environment["JOURNAL_STREAM"] = nil
        environment["NOTIFY_SOCKET"] = nil
        process = try ChildProcess(
            executable: PrivateNetworkNamespace.unshare,
            arguments: PrivateNetworkNamespace.arguments(
                running: try BuiltExecutable.path(named: "aphotplug"),
                ["daemon", "--sysfs-root", testbed.sysRoot, "--state-dir", stateDir, "--log-target", "json"] + arguments),
            environment: environment)
        let statePath = stateDir + "/state.json", child = process
        try await DaemonHarness.waitUntil(timeout: .seconds(20), "state.json after coldplug; stderr: \(child.standardError)") {
            FileManager.default.fileExists(atPath: statePath)
        }
        sender = try NetlinkUeventSender(networkNamespaceOf: process.processIdentifier)
    }

    /// The state file's top-level object.
    func stateFile() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: stateDir + "/state.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The state file's `state` object, with sorted keys, as text.
    func stateText() throws -> String {
        try Self.canonical(try #require(try stateFile()["state"]))
    }

    /// What a fresh reading of the fake sysfs gives: `aphotplug replay --final-state`
    /// of an empty trace, with sorted keys, as text.
    func truthText() throws -> String {
        let replay = try DaemonHarness.run(["replay", "--sysfs-root", testbed.sysRoot, "--final-state", "-"], input: "")
        let last = try #require(replay.stdout.split(separator: "\n").last.map(String.init), "replay printed nothing: \(replay.stderr)")
        return try Self.canonical(try JSONSerialization.jsonObject(with: Data(last.utf8)))
    }

    static func canonical(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The one-letter state in `/proc/<pid>/stat` (`S`, `R`, `T` when stopped, `Z`…), nil when gone.
    var schedulerState: Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].first { $0 != " " }
    }

    /// Sends SIGSTOP and waits until the kernel shows the daemon stopped.
    func pause() async throws {
        process.send(signal: SIGSTOP)
        try await DaemonHarness.waitUntil(timeout: .seconds(5), "the daemon to stop") { schedulerState == "T" }
    }
}
