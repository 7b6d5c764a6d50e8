import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// `aphotplug replay` reads its traces as streams (issue: streaming replay):
/// decisions come out while the input is still open, pipes and FIFOs are
/// inputs like files, a malformed record ends the replay after the decisions
/// before it, and a failed write to standard output is exit 74.
@Suite struct ReplayStreamingEndToEndTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden")

    static func goldenCase(_ name: String) throws -> (directory: String, guests: [String]) {
        let directory = try FileManager.default.contentsOfDirectory(atPath: golden.path).first { $0.hasPrefix(name) }
        let path = golden.appendingPathComponent(try #require(directory)).path
        let guests = ((try? String(contentsOfFile: path + "/guests", encoding: .utf8)) ?? "")
            .split(separator: "\n").flatMap { ["--guest", String($0)] }
        return (path, guests)
    }

    @Test("a FIFO the writer keeps open: the decision of one event is out within a second")
    func fifoIsALiveViewer() async throws {
        let (directory, guests) = try Self.goldenCase("01-")
        let root = try TemporaryDirectory()
        do {
            let fifo = root.path + "/live.trace"
            #expect(mkfifo(fifo, 0o600) == 0)
            let child = try ChildProcess(
                executable: try BuiltExecutable.path(named: "aphotplug"),
                arguments: ["replay", "--sysfs-root", directory + "/sysfs"] + guests + [fifo],
                environment: ProcessInfo.processInfo.environment)
            let writer = open(fifo, O_WRONLY)
            #expect(writer >= 0)
            defer { close(writer) }
            // The start-up decisions come first (vm1 and vm2 hold mdevs).
            _ = try await child.waitForLines(count: 2, timeout: .seconds(10))
            // Three events, each awaited alone; on a loaded machine the best of the three is the figure.
            var fastest = Duration.seconds(3600)
            for (index, (action, kind)) in [("unbind", "unplug-adapter"), ("bind", "plug"), ("unbind", "unplug-adapter")].enumerated() {
                let seq = UInt64(2001 + index)
                let event = KernelEvent.queue(action, "05.0004", driver: action == "bind" ? "vfio_ap" : nil, seq: seq)
                let block = UdevadmText.block(event, microseconds: 100_000_000 + UInt64(index) * 2_000_000)
                let sent = ContinuousClock.now
                #expect(write(writer, block, block.utf8.count) == block.utf8.count)
                let line = try await child.waitForLine(timeout: .seconds(5), "the \(kind) of one \(action)") {
                    $0.contains("\"seq\":\(seq)") && $0.contains("\"kind\":\"\(kind)\"")
                }
                fastest = min(fastest, ContinuousClock.now - sent)
                #expect(line.contains("\"adapters\":[\"05\"]"))
            }
            #expect(fastest < .seconds(1), "\(fastest)")
            close(writer)
            let ended = try await child.waitForExit()
            #expect(ended == ChildProcess.Termination(status: 0, bySignal: false), "\(child.standardError)")
        }
    }

    @Test("replay <(cat trace) equals replay trace, for udevadm text and JSON Lines", arguments: ["22-", "05-", "15-"])
    func processSubstitutionEqualsTheFile(_ name: String) throws {
        let (directory, guests) = try Self.goldenCase(name)
        let trace = ["trace.txt", "trace.jsonl"].map { directory + "/" + $0 }.first { FileManager.default.fileExists(atPath: $0) }
        let file = try #require(trace)
        let binary = try BuiltExecutable.path(named: "aphotplug")
        let common = ["replay", "--sysfs-root", directory + "/sysfs"] + guests + ["--final-state"]
        let direct = try DaemonHarness.run(common + [file])
        #expect(direct.status == 0, "\(direct.stderr)")
        let quoted = (common.map { "'\($0)'" }).joined(separator: " ")
        let substituted = try DaemonHarness.runShell("'\(binary)' \(quoted) <(cat '\(file)')")
        #expect(substituted.status == 0, "\(substituted.stderr)")
        #expect(substituted.stdout == direct.stdout)
        let stdin = try DaemonHarness.runShell("cat '\(file)' | '\(binary)' \(quoted) /dev/stdin")
        #expect(stdin.stdout == direct.stdout, "\(stdin.stderr)")
        #expect(direct.stdout == (try String(contentsOfFile: directory + "/expected.jsonl", encoding: .utf8)))
    }

    @Test("a stream cut in the middle of a record: the decisions before it, then exit 65 with file:line")
    func truncatedStream() throws {
        let (directory, guests) = try Self.goldenCase("05-")
        let lines = try String(contentsOfFile: directory + "/trace.jsonl", encoding: .utf8).split(separator: "\n")
        // The read-back and the first unbind/remove, then half of the next record.
        let cut = lines.prefix(3).joined(separator: "\n") + "\n" + lines[3].prefix(40)
        let result = try DaemonHarness.run(["replay", "--sysfs-root", directory + "/sysfs"] + guests + ["-"], input: cut)
        #expect(result.status == 65)
        #expect(result.stderr.contains("<stdin>:4:"), "\(result.stderr)")
        // The domain's removal (records 1 to 3) is decided and out before the error.
        #expect(result.stdout.contains("\"kind\":\"unplug-domain\""), "\(result.stdout)")
    }

    @Test("a SEQNUM that is no kernel number is a trace error with file:line", arguments: ["18446744073709551616", "-1", "0x10", "", "+5"])
    func badSeqnumIsATraceError(_ seqnum: String) throws {
        let block = "KERNEL[1.000000] unbind   /devices/ap/card05/05.0004 (ap)\nACTION=unbind\nDEVPATH=/devices/ap/card05/05.0004\n"
            + "SUBSYSTEM=ap\nSEQNUM=\(seqnum)\n\n"
        let result = try DaemonHarness.run(["replay", "-"], input: block)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("<stdin>:5: expected SEQNUM"), "\(result.stderr)")
    }

    @Test("standard output that cannot be written (a full disk) ends replay, simulate and demo with 74 and a reason")
    func fullOutputIsExit74() throws {
        let (directory, guests) = try Self.goldenCase("01-")
        let binary = try BuiltExecutable.path(named: "aphotplug")
        for command in [
            "'\(binary)' replay --sysfs-root '\(directory)/sysfs' \(guests.joined(separator: " ")) '\(directory)/trace.txt'",
            "'\(binary)' demo",
            "printf 'host adapters 5 domains 4\\nboot\\nscan\\n' | '\(binary)' simulate -",
        ] {
            let result = try DaemonHarness.runShell(command + " > /dev/full")
            #expect(result.status == 74, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("standard output: No space left on device"), "\(command): \(result.stderr)")
        }
    }
}

/// The udevadm block of one uevent, as `udevadm monitor --kernel --property` prints it.
enum UdevadmText {
    static func block(_ event: Uevent, microseconds: UInt64) -> String {
        let action = event.action ?? ""
        let fraction = String(microseconds % 1_000_000)
        var text = "KERNEL[\(microseconds / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count) + fraction)] "
        text += action.padding(toLength: 8, withPad: " ", startingAt: 0) + " \(event.devpath ?? "") (\(event.subsystem ?? ""))\n"
        for property in event.properties { text += property.key + "=" + property.value + "\n" }
        return text + "\n"
    }
}
