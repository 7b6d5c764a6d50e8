import APTestSupport
import Foundation
import Testing

/// `aphotplug replay` of a JSON Lines trace whose COMPLETECOUNT is 2^64-1: anomalies, no trap.
@Suite struct ReplayCounterTests {
    @Test("COMPLETECOUNT 2^64-1 then 3 in a replayed trace: exit 0 and an anomaly")
    func completeCountAtTheTop() throws {
        let directory = try TemporaryDirectory()
        let trace = directory.path + "/t.jsonl"
        let record = { (count: String, seq: Int) in
            #"{"type":"uevent","env":{"ACTION":"change","DEVPATH":"/devices/ap","SUBSYSTEM":"ap","BINDINGS":"complete","COMPLETECOUNT":"\#(count)","SEQNUM":"\#(seq)"}}"#
        }
        try [record("18446744073709551615", 1), record("18446744073709551615", 2), record("3", 3)]
            .joined(separator: "\n").appending("\n").write(toFile: trace, atomically: false, encoding: .utf8)
        let result = try CommandLineRunner.run(["replay", trace])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains(#""kind":"anomaly""#) })
    }
}
