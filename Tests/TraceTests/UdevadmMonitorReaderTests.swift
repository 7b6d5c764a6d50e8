import APModel
import Testing
@testable import Trace

@Suite struct UdevadmMonitorReaderTests {
    private static let sequenceNames = MonitorSamples.sequences.map(\.name)

    private func events(_ name: String) -> [MonitorSamples.Event] {
        MonitorSamples.sequences.first { $0.name == name }!.events
    }

    private func read(_ text: String, fileName: String = "night.trace") throws(TraceError) -> [TraceEntry] {
        try UdevadmMonitorReader.read(Array(text.utf8), fileName: fileName)
    }

    private func uevents(_ entries: [TraceEntry]) -> [Uevent] {
        entries.map { entry in
            guard case .uevent(let event) = entry.record else {
                Issue.record("line \(entry.line) is not a uevent: \(entry.record)")
                return Uevent(properties: [])
            }
            return event
        }
    }

    @Test(arguments: sequenceNames)
    func kernelBlocksKeepEveryKeyInOrder(_ name: String) throws {
        let events = events(name)
        let entries = try read(MonitorSamples.kernelText(events))
        #expect(uevents(entries).map(\.properties) == events.map(\.kernelProperties))
        #expect(entries.map(\.line) == MonitorSamples.headerLines(events, kernel: true))
    }

    @Test(arguments: sequenceNames)
    func udevBlocksKeepUdevKeys(_ name: String) throws {
        let events = events(name)
        let entries = try read(MonitorSamples.udevText(events))
        #expect(uevents(entries).map(\.properties) == events.map(\.udevProperties))
        #expect(entries.map(\.line) == MonitorSamples.headerLines(events, kernel: false))
    }

    @Test(arguments: sequenceNames)
    func mixedCaptureKeepsOnlyKernelBlocks(_ name: String) throws {
        let events = events(name)
        let entries = try read(MonitorSamples.mixedText(events))
        #expect(uevents(entries).map(\.properties) == events.map(\.kernelProperties))
    }

    @Test(arguments: sequenceNames)
    func crlfReadsLikeLF(_ name: String) throws {
        let events = events(name)
        let text = MonitorSamples.kernelText(events)
        let crlf = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
        #expect(try read(crlf) == read(text))
    }

    @Test func headerTimesAreKeptAsMicrosecondsWhenWellFormed() throws {
        func time(_ stamp: String) throws -> UInt64? {
            try read("KERNEL[\(stamp)] unbind   /devices/ap/card05/05.0004 (ap)\nACTION=unbind\n\n").first?.microseconds
        }
        #expect(try time("117.000940") == 117_000_940)
        #expect(try time("5.5") == 5_500_000)
        #expect(try time("999999999999.999999") == 999_999_999_999_999_999)
        // Any other form is no time at all, never an error or a trap.
        #expect(try time("1234567890123.0") == nil)
        #expect(try time("1.2.3") == nil)
        #expect(try time("12") == nil)
        #expect(try time("1.1234567") == nil)
    }

    @Test func bootSequenceDetails() throws {
        let events = uevents(try read(MonitorSamples.kernelText(MonitorSamples.boot)))
        #expect(events.map { $0.action ?? "-" } == [
            "add", "bind", "add", "bind", "add", "change", "add", "bind", "bind", "change", "change",
        ])
        #expect(events[3].driver == "cex4queue")
        #expect(events[4].driver == nil)
        #expect(events[5]["INITSCAN"] == "done")
        #expect(events[8].devpath == "/devices/ap/card04/04.0007")
        #expect(events[8].driver == "vfio_ap")
        #expect(events[9]["COMPLETECOUNT"] == "1")
        #expect(events[10].subsystem == "matrix")
        #expect(events.map { $0.seqnum ?? 0 } == [1021, 1022, 1023, 1024, 1025, 1026, 1180, 1181, 1182, 1183, 1184])
    }

    @Test func apmaskWithBlankLineKeepsTheKernelNewline() throws {
        let text = """
            KERNEL[2000.000001] change   /devices/ap (ap)
            ACTION=change
            DEVPATH=/devices/ap
            SUBSYSTEM=ap
            APMASK=\(MonitorSamples.allOnesButAdapter5)

            SEQNUM=2050

            KERNEL[2000.000002] change   /devices/ap (ap)
            ACTION=change
            DEVPATH=/devices/ap
            SUBSYSTEM=ap
            AQMASK=0x8000000000000000000000000000000000000000000000000000000000000000

            SEQNUM=2051

            """
        let events = uevents(try read(text))
        #expect(events.count == 2)
        #expect(events[0]["APMASK"] == MonitorSamples.allOnesButAdapter5 + "\n")
        #expect(events[0].seqnum == 2050)
        #expect(events[0].properties.map(\.key) == ["ACTION", "DEVPATH", "SUBSYSTEM", "APMASK", "SEQNUM"])
        #expect(events[1]["AQMASK"] == "0x8000000000000000000000000000000000000000000000000000000000000000\n")
        #expect(events[1].seqnum == 2051)
    }

    @Test func apmaskPrintedWithoutBlankLineStaysAsPrinted() throws {
        let text = """
            UDEV  [2000.000100] change   /devices/ap (ap)
            ACTION=change
            DEVPATH=/devices/ap
            SUBSYSTEM=ap
            APMASK=\(MonitorSamples.allOnesButAdapter5)
            SEQNUM=2050
            USEC_INITIALIZED=2000000100

            """
        let events = uevents(try read(text))
        #expect(events.count == 1)
        #expect(events[0]["APMASK"] == MonitorSamples.allOnesButAdapter5)
        #expect(events[0]["USEC_INITIALIZED"] == "2000000100")
    }

    @Test func apmaskBlankLineWithCRLF() throws {
        let text = "KERNEL[1.000000] change   /devices/ap (ap)\r\nACTION=change\r\nDEVPATH=/devices/ap\r\n"
            + "SUBSYSTEM=ap\r\nAPMASK=0x00\r\n\r\nSEQNUM=7\r\n\r\n"
        let events = uevents(try read(text))
        #expect(events.map(\.properties) == [[
            Uevent.Property("ACTION", "change"), Uevent.Property("DEVPATH", "/devices/ap"),
            Uevent.Property("SUBSYSTEM", "ap"), Uevent.Property("APMASK", "0x00\n"), Uevent.Property("SEQNUM", "7"),
        ]])
    }

    @Test func severalBlankLinesInsideABlockBelongToTheValue() throws {
        let text = "KERNEL[1.0] change   /devices/ap (ap)\nACTION=change\nX=a\n\n\nSEQNUM=1\n"
        #expect(uevents(try read(text)).first?["X"] == "a\n\n")
    }

    @Test func blankLinesBeforeAHeaderEndTheBlock() throws {
        let text = "KERNEL[1.0] add      /devices/ap/card04 (ap)\nACTION=add\nSEQNUM=1\n\n\n\n"
            + "KERNEL[1.1] add      /devices/ap/card05 (ap)\nACTION=add\nSEQNUM=2\n"
        let events = uevents(try read(text))
        #expect(events.map { $0["SEQNUM"] } == ["1", "2"])
    }

    @Test func missingFinalBlankLineAndNewline() throws {
        let text = "KERNEL[1.0] bind     /devices/ap/card04/04.0007 (ap)\nACTION=bind\nDRIVER=vfio_ap\nSEQNUM=9"
        let entries = try read(text)
        #expect(uevents(entries).map(\.properties) == [[
            Uevent.Property("ACTION", "bind"), Uevent.Property("DRIVER", "vfio_ap"), Uevent.Property("SEQNUM", "9"),
        ]])
        #expect(entries.map(\.line) == [1])
    }

    @Test func headerWithoutPropertiesGivesActionDevpathSubsystem() throws {
        let text = MonitorSamples.kernelPreamble
            + "KERNEL[12.345678] add      /devices/ap/card04 (ap)\n\nKERNEL[12.345700] remove   /module/vfio_ap (module)\n"
        let entries = try read(text)
        #expect(uevents(entries).map(\.properties) == [
            [Uevent.Property("ACTION", "add"), Uevent.Property("DEVPATH", "/devices/ap/card04"), Uevent.Property("SUBSYSTEM", "ap")],
            [Uevent.Property("ACTION", "remove"), Uevent.Property("DEVPATH", "/module/vfio_ap"), Uevent.Property("SUBSYSTEM", "module")],
        ])
        #expect(entries.map(\.line) == [4, 6])
    }

    @Test func kernelOdditiesPassThrough() throws {
        let text = "KERNEL[5.0] frobnicate /nowhere (ap)\nACTION=frobnicate\nweird.key=\nSUBSYSTEM=ap\nVALUE==x=\n\n"
        #expect(uevents(try read(text)).map(\.properties) == [[
            Uevent.Property("ACTION", "frobnicate"), Uevent.Property("weird.key", ""),
            Uevent.Property("SUBSYSTEM", "ap"), Uevent.Property("VALUE", "=x="),
        ]])
    }

    @Test func udevOnlyTraceIsKeptWhenNoKernelBlocks() throws {
        let entries = try read(MonitorSamples.udevText(MonitorSamples.manualRebind))
        #expect(entries.count == 2)
    }

    @Test func emptyAndPreambleOnlyTracesHaveNoEvents() throws {
        #expect(try read("").isEmpty)
        #expect(try read(MonitorSamples.bothPreamble).isEmpty)
    }

    @Test func garbageInsideABlockNamesItsLine() {
        let text = MonitorSamples.kernelPreamble + "KERNEL[1.0] add      /devices/ap/card04 (ap)\nACTION=add\nfoo\n"
        #expect(throws: TraceError(fileName: "night.trace", line: 6, expected: "KEY=VALUE or a blank line", found: "'foo'")) {
            try read(text)
        }
        do {
            _ = try read(text)
        } catch {
            #expect(error.description == "night.trace:6: expected KEY=VALUE or a blank line, found 'foo'")
        }
    }

    @Test func emptyKeyIsAnError() {
        let text = "KERNEL[1.0] add      /devices/ap/card04 (ap)\nACTION=add\n=value\n"
        #expect(throws: TraceError(fileName: "t", line: 3, expected: "KEY=VALUE or a blank line", found: "'=value'")) {
            try read(text, fileName: "t")
        }
    }

    @Test func keyWithSpaceIsAnError() {
        let text = "KERNEL[1.0] add      /devices/ap/card04 (ap)\nACTION=add\nBAD KEY=1\n"
        #expect(throws: TraceError(fileName: "t", line: 3, expected: "KEY=VALUE or a blank line", found: "'BAD KEY=1'")) {
            try read(text, fileName: "t")
        }
    }

    @Test func textAfterABlockMustBeAHeader() {
        let text = "KERNEL[1.0] add      /devices/ap/card04 (ap)\nACTION=add\n\nhello world\n"
        let expected = TraceError(
            fileName: "t", line: 4,
            expected: "an event header like 'KERNEL[1234.567890] add /devices/ap/card05 (ap)'",
            found: "'hello world'"
        )
        #expect(throws: expected) { try read(text, fileName: "t") }
    }

    @Test func propertiesBeforeAnyHeaderAreAnError() {
        #expect(throws: TraceError.self) { try read("ACTION=add\n") }
    }

    @Test(arguments: [
        "KERNEL[abc] add /devices/ap (ap)",
        "KERNEL[1.0 add /devices/ap (ap)",
        "KERNEL[1.0] add",
        "KERNEL[1.0]add /devices/ap (ap)",
        "KERNEL[1.0] add /devices/ap ap",
        "KERNEL[] add /devices/ap (ap)",
        "UDEV [1.0] add /devices/ap (ap",
    ])
    func malformedHeaders(_ header: String) {
        let text = "\n\n" + header + "\nACTION=add\n"
        #expect(throws: TraceError.self) { try read(text) }
        do {
            _ = try read(text)
        } catch {
            #expect(error.line == 3)
        }
    }

    @Test func longFoundTextIsCut() {
        let long = String(repeating: "x", count: 100)
        do {
            _ = try read(long)
            Issue.record("expected an error")
        } catch {
            #expect(error.found == "'" + String(repeating: "x", count: 60) + "…'")
        }
    }

    @Test func headerWithoutSubsystemIsAccepted() throws {
        let entries = try read("UDEV  [1.5] change   /devices/ap\n\n")
        #expect(uevents(entries).map(\.properties) == [[
            Uevent.Property("ACTION", "change"), Uevent.Property("DEVPATH", "/devices/ap"),
        ]])
    }
}
