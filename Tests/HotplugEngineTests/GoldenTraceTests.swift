import APModel
import APTestSupport
import Agent
import Foundation
import HotplugEngine
import Sysfs
import Testing
import Trace

/// Golden traces: each case under `Tests/Golden/<case>/` holds a sysfs tree
/// (`sysfs/`), a trace (`trace.txt` in udevadm format or `trace.jsonl`),
/// optional `guests` (`UUID=NAME` lines) and the expected output
/// (`expected.jsonl`: the decisions, then the final state). Replaying must
/// reproduce `expected.jsonl` byte for byte.
///
/// `REGENERATE_GOLDEN=1 swift test --filter GoldenTraceTests` rewrites the
/// trees and expected outputs; review the diff like code. A case with a
/// `scenario` file keeps its tree and `trace.txt`: the simulator made them
/// (`aphotplug simulate --initial-tree sysfs --output trace.txt scenario`), so
/// they are the simulated kernel's own state and capture, not a fixture.
@Suite struct GoldenTraceTests {
    /// Outside every target directory: SwiftPM would follow the trees' sysfs
    /// symlink loops (bus/ap/devices → devices/ap → subsystem → bus/ap) forever.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden")
    static let regenerate = ProcessInfo.processInfo.environment["REGENERATE_GOLDEN"] == "1"

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func thereAreAtLeastFifteenCases() {
        #expect(Self.cases.count >= 15)
    }

    @Test(arguments: cases)
    func replayReproducesExpectedOutput(name: String) throws {
        let directory = Self.root.appendingPathComponent(name)
        let tree = directory.appendingPathComponent("sysfs").path
        // A case with a `scenario` holds the simulated kernel's own tree and capture
        // (`aphotplug simulate --initial-tree sysfs --output trace.txt scenario`).
        let simulated = FileManager.default.fileExists(atPath: directory.appendingPathComponent("scenario").path)
        if Self.regenerate && !simulated {
            try? FileManager.default.removeItem(atPath: tree)
            try SysfsTreeWriter.write(GoldenFixtures.snapshot(for: name), to: tree)
        }
        let output = try Self.replay(directory)
        let expectedPath = directory.appendingPathComponent("expected.jsonl")
        if Self.regenerate {
            try output.write(to: expectedPath, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: expectedPath, encoding: .utf8)
        #expect(output == expected, "\(name): replay differs from expected.jsonl (REGENERATE_GOLDEN=1 rewrites it)")
    }

    /// Replays one case the way `aphotplug replay --sysfs-root sysfs --guest … --final-state trace` does.
    static func replay(_ directory: URL) throws -> String {
        let snapshot = try SnapshotReader(tree: DirectorySysfsTree(root: directory.appendingPathComponent("sysfs").path)).read()
        var guests: [MdevUUID: String] = [:]
        if let text = try? String(contentsOf: directory.appendingPathComponent("guests"), encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                guests[MdevUUID(parts[0])!] = String(parts[1])
            }
        }
        let traceName = ["trace.txt", "trace.jsonl"].first {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }!
        let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(traceName)))
        var session = ReplaySession()
        var lines = session.start(snapshot: snapshot, guests: guests).map(\.jsonLine)
        for entry in try TraceReader.read(bytes, fileName: traceName) {
            lines += try session.replay(entry.record, microseconds: entry.microseconds).map(\.jsonLine)
        }
        lines += session.settle().map(\.jsonLine)
        lines.append(session.engine.finalStateJSON)
        return lines.joined(separator: "\n") + "\n"
    }
}
