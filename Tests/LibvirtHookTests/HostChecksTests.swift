import Foundation
import Testing

/// The shell checks in `Tests/Host/` that need no build of their own: the udev
/// rules under `udevadm test` and the systemd unit under `systemd-analyze`.
/// (`check-install.sh` builds a release binary, so it runs from `make check-host`.)
///
/// A check that lacks root or a tool exits 77 and the test is skipped with the
/// check's reason; with CI=true the check fails instead.
@Suite("Host integration checks (Tests/Host)")
struct HostChecksTests {
    @Test("udev rules: udevadm test against a fake sysfs")
    func rules() throws {
        try runCheck("check-rules.sh")
    }

    @Test("systemd unit: verify clean, security exposure at most 2.0")
    func unit() throws {
        try runCheck("check-unit.sh")
    }

    private func runCheck(_ script: String) throws {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = repository.appendingPathComponent("Tests/Host/\(script)")
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0:
            return
        case 77:
            let reason = text.split(separator: "\n").first { $0.hasPrefix("SKIP: ") }?.dropFirst(6) ?? "skipped"
            try Test.cancel("\(script): \(reason)")
        default:
            Issue.record("\(script) exited with status \(process.terminationStatus):\n\(text)")
        }
    }
}
