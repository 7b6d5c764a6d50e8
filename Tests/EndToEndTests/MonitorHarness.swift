import APModel
import APTestSupport
import Foundation
import Testing

/// `aphotplug monitor` running under umockdev on a fake AP tree, with an injector.
final class MonitorHarness {
    let testbed: UmockdevTestbed
    let process: ChildProcess
    let injector: UeventInjector
    /// The readiness line.
    let readyLine: String

    /// Writes `tree`, starts the monitor with `arguments`, waits for `{"type":"ready"…}`.
    init(host: HostSnapshot = .standard, arguments: [String] = [], sendTimeout: Duration = .seconds(10)) async throws {
        testbed = try UmockdevTestbed()
        try testbed.write(host)
        process = try ChildProcess.underUmockdev(
            executable: try BuiltExecutable.path(named: "aphotplug"), arguments: ["monitor"] + arguments,
            testbed: testbed)
        readyLine = try await process.waitForLine(timeout: .seconds(20), "the ready line") {
            $0.hasPrefix(#"{"type":"ready""#)
        }
        injector = try UeventInjector(testbed: testbed, sendTimeout: sendTimeout)
    }

    /// Output lines after the ready line.
    var liveLines: [String] {
        let lines = process.outputLines
        guard let ready = lines.firstIndex(of: readyLine) else { return [] }
        return Array(lines[(ready + 1)...])
    }

    /// Output lines before the ready line.
    var enumerationLines: [String] {
        let lines = process.outputLines
        guard let ready = lines.firstIndex(of: readyLine) else { return lines }
        return Array(lines[..<ready])
    }

    /// Waits until `count` live lines exist.
    func waitForLiveLines(_ count: Int, timeout: Duration = .seconds(30)) async throws -> [String] {
        let lines = try await process.waitForLines(count: enumerationLines.count + 1 + count, timeout: timeout)
        guard let ready = lines.firstIndex(of: readyLine) else { return [] }
        return Array(lines[(ready + 1)...])
    }

    /// Sends SIGTERM and waits for the exit.
    func stop(signal: Int32 = SIGTERM) async throws -> ChildProcess.Termination {
        process.send(signal: signal)
        return try await process.waitForExit(timeout: .seconds(10))
    }
}

extension HostSnapshot {
    /// card04 (CEX8, cex4card) with 04.0006 (vfio_ap) and 04.0007 (unbound); card05
    /// (CEX7, cex4card) with 05.0006 (cex4queue); the matrix device and one mdev
    /// holding 04.0006.
    static var standard: HostSnapshot {
        HostSnapshot(
            apmask: APMask([5]), aqmask: APMask(),
            cards: [Card(id: APID(4), hardwareType: 14, driver: "cex4card"), Card(id: APID(5), hardwareType: 13, driver: "cex4card")],
            queues: [
                Queue(apqn: APQN(adapter: 4, domain: 6), driver: "vfio_ap"),
                Queue(apqn: APQN(adapter: 4, domain: 7), driver: nil),
                Queue(apqn: APQN(adapter: 5, domain: 6), driver: "cex4queue"),
            ],
            matrixDevice: MatrixDevice(features: ["guest_matrix", "hotplug", "ap_config"]),
            mdevs: [Mdev(uuid: MdevUUID(MonitorHarness.mdevUUID)!, assigned: APMatrix([4], [6]), guestMatrix: APMatrix([4], [6]))]
        )
    }
}

extension MonitorHarness {
    static let mdevUUID = "0b5e7a3c-6e8d-4a63-9a5c-1f4c2b8e9d10"

    /// Parses one JSON line into an object.
    static func object(_ line: String) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(line)")
    }

    /// `{"type":"uevent","env":{…}}` as the monitor writes it for these pairs (plain
    /// values only: no characters that need escaping).
    static func ueventLine(_ pairs: [(String, String)]) -> String {
        #"{"type":"uevent","env":{"# + pairs.map { #""\#($0.0)":"\#($0.1)""# }.joined(separator: ",") + "}}"
    }

    /// The pairs libudev 252 reports for `event`: sorted by key, trailing newlines of
    /// values removed.
    static func libudevView(_ event: Uevent) -> [(String, String)] {
        event.properties
            .map { ($0.key, $0.value.hasSuffix("\n") ? String($0.value.dropLast()) : $0.value) }
            .sorted { $0.0 < $1.0 }
    }
}
