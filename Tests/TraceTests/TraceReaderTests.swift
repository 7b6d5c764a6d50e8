import APModel
import Testing
import Trace

@Suite struct TraceReaderTests {
    @Test(arguments: [
        ("", TraceFormat.udevadmMonitor),
        ("\n\n", .udevadmMonitor),
        ("monitor will print the received events for:\n", .udevadmMonitor),
        ("KERNEL[1.0] add      /devices/ap (ap)\n", .udevadmMonitor),
        ("{\"type\":\"uevent\",\"env\":{}}\n", .jsonLines),
        ("\r\n  \t{\"type\":\"uevent\",\"env\":{}}\n", .jsonLines),
        ("[1]\n", .udevadmMonitor),
    ])
    func detection(text: String, format: TraceFormat) {
        #expect(TraceFormat(detecting: Array(text.utf8)) == format)
    }

    @Test func readsBothFormats() throws {
        let kernel = MonitorSamples.kernelText(MonitorSamples.manualRebind)
        let fromText = try TraceReader.read(Array(kernel.utf8), fileName: "k.trace")
        #expect(fromText.count == 2)
        let jsonl = JSONLinesWriter.write(fromText.map(\.record))
        let fromJSON = try TraceReader.read(Array(jsonl.utf8), fileName: "k.jsonl")
        #expect(fromJSON.map(\.record) == fromText.map(\.record))
        #expect(fromJSON.map(\.line) == [1, 2])
    }

    @Test func errorsNameTheFile() {
        #expect(throws: TraceError(fileName: "a.jsonl", line: 1, column: 2, expected: "a member name in double quotes", found: "'x}'")) {
            try TraceReader.read(Array("{x}".utf8), fileName: "a.jsonl")
        }
    }

    @Test func udevadmTraceRoundTripsThroughJSONLines() throws {
        let events = MonitorSamples.sequences.flatMap(\.events)
        let entries = try TraceReader.read(Array(MonitorSamples.kernelText(events).utf8), fileName: "all.trace")
        let jsonl = JSONLinesWriter.write(entries.map(\.record))
        #expect(try TraceReader.read(Array(jsonl.utf8), fileName: "all.jsonl").map(\.record) == entries.map(\.record))
        // The APMASK newline survives both formats.
        #expect(jsonl.contains(#""APMASK":"0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n""#))
    }
}
