import APModel
import Testing
import Trace

@Suite struct JSONLinesTests {
    private static let uuid = MdevUUID("0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60")!

    private func read(_ text: String, fileName: String = "night.jsonl") throws(TraceError) -> [TraceEntry] {
        try JSONLinesReader.read(Array(text.utf8), fileName: fileName)
    }

    private func readError(_ text: String) -> TraceError? {
        do {
            _ = try read(text)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Writer output

    @Test func ueventLineKeepsPropertyOrderAndEscapesTheNewline() {
        let event = Uevent([
            "ACTION": "change", "DEVPATH": "/devices/ap", "SUBSYSTEM": "ap", "APMASK": "0x7f\n", "SEQNUM": "2050",
        ])
        #expect(JSONLinesWriter.line(.uevent(event)) == #"""
            {"type":"uevent","env":{"ACTION":"change","DEVPATH":"/devices/ap","SUBSYSTEM":"ap","APMASK":"0x7f\n","SEQNUM":"2050"}}

            """#)
    }

    @Test func snapshotLineSortsPaths() {
        let image = SysfsImage(
            files: ["devices/ap/card05/hwtype": "13\n", "bus/ap/apmask": "0xff\n"],
            links: ["devices/ap/card05/driver": "../../../bus/ap/drivers/cex4card"]
        )
        #expect(JSONLinesWriter.line(.snapshot(image)) == #"""
            {"type":"snapshot","files":{"bus/ap/apmask":"0xff\n","devices/ap/card05/hwtype":"13\n"},"links":{"devices/ap/card05/driver":"../../../bus/ap/drivers/cex4card"}}

            """#)
        #expect(JSONLinesWriter.line(.snapshot(SysfsImage())) == #"{"type":"snapshot","files":{},"links":{}}"# + "\n")
    }

    @Test func guestAndObserveLines() {
        #expect(JSONLinesWriter.line(.guest(GuestRecord(action: .attach, mdev: Self.uuid, name: "vm1"))) ==
            #"{"type":"guest","action":"attach","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60","name":"vm1"}"# + "\n")
        #expect(JSONLinesWriter.line(.guest(GuestRecord(action: .detach, mdev: Self.uuid, name: nil))) ==
            #"{"type":"guest","action":"detach","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60"}"# + "\n")
        let path = "/sys/devices/vfio_ap/matrix/\(Self.uuid)/guest_matrix"
        #expect(JSONLinesWriter.line(.observe(path: path, value: "05.0004\n05.00ab\n")) ==
            #"{"type":"observe","path":"\#(path)","value":"05.0004\n05.00ab\n"}"# + "\n")
    }

    @Test func definitionLinesRoundTrip() throws {
        let config = #"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"5"}]}"# + "\n"
        let records: [TraceRecord] = [.definition(mdev: Self.uuid, config: config), .definition(mdev: Self.uuid, config: nil)]
        let text = JSONLinesWriter.write(records)
        #expect(text == #"""
            {"type":"definition","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60","config":"{\"mdev_type\":\"vfio_ap-passthrough\",\"start\":\"auto\",\"attrs\":[{\"assign_adapter\":\"5\"}]}\n"}
            {"type":"definition","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60","config":null}

            """#)
        #expect(try read(text).map(\.record) == records)
    }

    @Test func apMaskRulesLinesRoundTrip() throws {
        let records: [TraceRecord] = [
            .apMaskRules(.text("ATTR{../../bus/ap/apmask}=\"0x00\"\n")), .apMaskRules(.absent),
            .apMaskRules(.unreadable(reason: "Permission denied")),
        ]
        let text = JSONLinesWriter.write(records)
        #expect(text == #"""
            {"type":"ap-mask-rules","rules":"ATTR{../../bus/ap/apmask}=\"0x00\"\n"}
            {"type":"ap-mask-rules","rules":null}
            {"type":"ap-mask-rules","unreadable":"Permission denied"}

            """#)
        #expect(try read(text).map(\.record) == records)
    }

    @Test func aStreamedSnapshotLineReadsBackAsTheImage() throws {
        var image = SysfsImage()
        for index in 0..<5_000 {
            image.files["devices/ap/card05/05.\(index)/online"] = "1\n"
            if index % 3 == 0 { image.links["devices/ap/card05/05.\(index)/driver"] = "../../../../bus/ap/drivers/vfio_ap" }
        }
        image.files["bus/ap/apmask"] = "0x\"quoted\"\\\n"
        var chunks: [[UInt8]] = []
        var spilled: [[UInt8]] = []
        var writer = SnapshotLineWriter(emit: { chunks.append($0) }, spill: { spilled.append($0) })
        // Files and links interleaved, as a scan reads them.
        let links = Array(image.links)
        for (index, (path, value)) in image.files.enumerated() {
            writer.file(path, value)
            if index < links.count { writer.link(links[index].key, links[index].value) }
        }
        writer.finish { chunks += spilled }
        #expect(chunks.count > 1, "written in pieces")
        let line = chunks.flatMap { $0 }
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        #expect(try JSONLinesReader.read(line, fileName: "t").map(\.record) == [.snapshot(image)])
    }

    @Test func settledLinesRoundTripAndTakeNoOtherMember() throws {
        #expect(JSONLinesWriter.line(.settled) == #"{"type":"settled"}"# + "\n")
        #expect(try read(#"{"type":"settled"}"# + "\n").map(\.record) == [.settled])
        #expect(readError(#"{"type":"settled","at":1}"#)?.description.contains("at") == true)
    }

    @Test func writerEscapesControlCharactersQuotesAndBackslashes() {
        let line = JSONLinesWriter.line(.observe(path: "/p\"q\\r", value: "\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F}\u{7F}é/"))
        #expect(line == #"{"type":"observe","path":"/p\"q\\r","value":"\u0000\u0001\b\t\n\f\r\u001f"# + "\u{7F}é/\"}\n")
    }

    // MARK: Round trips

    private static let sampleRecords: [TraceRecord] = [
        .snapshot(SysfsImage(
            files: [
                "bus/ap/apmask": "0xfbffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
                "bus/ap/ap_adapter_mask": "not supported\n",
                "devices/vfio_ap/matrix/\(uuid)/matrix": "",
            ],
            links: ["devices/ap/card05/05.0004/driver": "../../../../bus/ap/drivers/vfio_ap"]
        )),
        .uevent(Uevent(["ACTION": "bind", "DEVPATH": "/devices/ap/card05/05.0004", "SUBSYSTEM": "ap",
                        "DEVTYPE": "ap_queue", "DRIVER": "vfio_ap", "MODE": "ep11", "SEQNUM": "2047"])),
        .uevent(Uevent(["B": "1", "A": "2", "B": "3"])),
        .uevent(Uevent(properties: [])),
        .guest(GuestRecord(action: .attach, mdev: uuid, name: "vm \"one\" ünïcødé 😀")),
        .guest(GuestRecord(action: .detach, mdev: uuid, name: nil)),
        .guest(GuestRecord(action: .detach, mdev: uuid, name: "")),
        .observe(path: "/sys/devices/vfio_ap/matrix/\(uuid)/guest_matrix", value: ""),
        .observe(path: "/sys/x", value: "tab\there\r\nnul\u{0}end\u{2028}\\"),
    ]

    @Test func sampleRecordsReadBackIdentically() throws {
        let text = JSONLinesWriter.write(Self.sampleRecords)
        let entries = try read(text)
        #expect(entries.map(\.record) == Self.sampleRecords)
        #expect(entries.map(\.line) == Array(1...Self.sampleRecords.count))
        #expect(text.split(separator: "\n").count == Self.sampleRecords.count)
    }

    @Test(arguments: 0..<20)
    func randomStringsRoundTrip(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed))
        var records: [TraceRecord] = []
        for _ in 0..<25 {
            var event = Uevent(properties: [])
            for _ in 0..<random.int(below: 6) {
                event.properties.append(Uevent.Property(random.string(), random.string()))
            }
            records.append(.uevent(event))
            records.append(.observe(path: "/" + random.string(), value: random.string()))
            var files: [String: String] = [:]
            for _ in 0..<random.int(below: 4) { files[random.string()] = random.string() }
            records.append(.snapshot(SysfsImage(files: files, links: [random.string(): random.string()])))
        }
        let text = JSONLinesWriter.write(records)
        #expect(try read(text).map(\.record) == records)
        #expect(try TraceReader.read(Array(text.utf8), fileName: "r").map(\.record) == records)
    }

    // MARK: Reader details

    @Test func blankLinesAndCRLFAreFine() throws {
        let text = "\r\n  \n{\"type\":\"guest\",\"action\":\"detach\",\"mdev\":\"\(Self.uuid)\",\"name\":null}\r\n\n"
            + " { \"name\" : \"vm1\" , \"mdev\" : \"0B5E2C7A-4F61-4E8E-9D3B-7C1A2F4E5D60\", \"action\":\"attach\", \"type\":\"guest\" } \n"
        let entries = try read(text)
        #expect(entries == [
            TraceEntry(line: 3, record: .guest(GuestRecord(action: .detach, mdev: Self.uuid, name: nil))),
            TraceEntry(line: 5, record: .guest(GuestRecord(action: .attach, mdev: Self.uuid, name: "vm1"))),
        ])
    }

    @Test func syntaxErrorsCarryLineAndColumn() {
        let text = JSONLinesWriter.line(.guest(GuestRecord(action: .detach, mdev: Self.uuid, name: nil)))
            + "\n" + #"{"type":"uevent","env":{"ACTION":"add",}}"# + "\n"
        let error = readError(text)
        #expect(error == TraceError(
            fileName: "night.jsonl", line: 3, column: 40, expected: "a member name in double quotes", found: "'}}'"
        ))
        #expect(error?.description == "night.jsonl:3:40: expected a member name in double quotes, found '}}'")
    }

    @Test func syntaxErrorAtEndOfLine() {
        #expect(readError(#"{"type":"observe""#) == TraceError(
            fileName: "night.jsonl", line: 1, column: 18, expected: "',' or '}'", found: "end of line"
        ))
    }

    @Test(arguments: [
        (#"[1]"#, "a JSON object (one record per line)", "an array"),
        (#"{"env":{}}"#, #"a "type" member"#, "none"),
        (#"{"type":3}"#, #""type" to be a string"#, "the number 3"),
        (#"{"type":"bogus"}"#, #""type" to be snapshot, uevent, guest, observe, definition, ap-mask-rules or settled"#, "'bogus'"),
        (#"{"type":"ap-mask-rules","rules":"x","unreadable":"y"}"#,
         #""rules" to be the file's text or null, or "unreadable" to be why it could not be read"#, "both"),
        (#"{"type":"ap-mask-rules","rules":7}"#,
         #""rules" to be the file's text or null, or "unreadable" to be why it could not be read"#, "the number 7"),
        (#"{"type":"definition","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60","config":5}"#, #""config" to be the file's text or null"#, "the number 5"),
        (#"{"type":"definition","mdev":"vm1","config":null}"#, #""mdev" to be a UUID (8-4-4-4-12 hex digits)"#, "'vm1'"),
        (#"{"type":"uevent","type":"uevent","env":{}}"#, "each member once", #"a second "type""#),
        (#"{"type":"uevent"}"#, #"a "env" member"#, "none"),
        (#"{"type":"uevent","env":[]}"#, #""env" to be an object of strings"#, "an array"),
        (#"{"type":"uevent","env":{"SEQNUM":12}}"#, #"a string value for "SEQNUM" in "env""#, "the number 12"),
        (#"{"type":"uevent","env":{},"extra":true}"#, "only the members env, type in a uevent record", #""extra""#),
        (#"{"type":"snapshot","files":{}}"#, #"a "links" member"#, "none"),
        (#"{"type":"snapshot","files":{"a":"1","a":"2"},"links":{}}"#, #"each path once in "files""#, "'a' twice"),
        (#"{"type":"snapshot","files":{"a":null},"links":{}}"#, #"a string value for "a" in "files""#, "null"),
        (#"{"type":"guest","action":"start","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60"}"#,
         #""action" to be attach or detach"#, "'start'"),
        (#"{"type":"guest","action":"attach","mdev":"vm1","name":"x"}"#,
         #""mdev" to be a UUID (8-4-4-4-12 hex digits)"#, "'vm1'"),
        (#"{"type":"guest","action":"attach","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60"}"#,
         #"a "name" naming the guest that attached"#, "none"),
        (#"{"type":"guest","action":"detach","mdev":"0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60","name":false}"#,
         #""name" to be a string"#, "false"),
        (#"{"type":"observe","path":"sys/x","value":""}"#, #""path" to be an absolute sysfs path (/sys/...)"#, "'sys/x'"),
        (#"{"type":"observe","path":"/sys/x","value":{}}"#, #""value" to be a string"#, "an object"),
        (#"{"type":"observe","path":"/sys/x"}"#, #"a "value" member"#, "none"),
    ])
    func schemaErrors(line: String, expected: String, found: String) {
        let text = JSONLinesWriter.line(.uevent(Uevent(["ACTION": "add"]))) + line + "\n"
        #expect(readError(text) == TraceError(fileName: "night.jsonl", line: 2, expected: expected, found: found))
    }

    @Test func invalidUTF8InARecordIsAnError() {
        let bytes = Array(#"{"type":"observe","path":"/x","value":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)
        #expect(throws: TraceError(
            fileName: "f", line: 1, column: 39, expected: "a string of valid UTF-8", found: "invalid UTF-8"
        )) {
            try JSONLinesReader.read(bytes, fileName: "f")
        }
    }
}

/// A small seeded generator (SplitMix64) so the random round trips are the
/// same on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(below bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// 0–12 scalars drawn from ASCII (controls, quotes and backslashes
    /// included), Latin-1, the BMP and the astral planes.
    mutating func string() -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<int(below: 13) {
            let value: UInt32
            switch int(below: 4) {
            case 0: value = UInt32(int(below: 0x80))
            case 1: value = [0x22, 0x5C, 0x0A, 0x00, 0x2F, 0x7F][int(below: 6)]
            case 2: value = 0x80 + UInt32(int(below: 0xD800 - 0x80))
            default: value = 0xE000 + UInt32(int(below: 0x10_FFFF - 0xE000))
            }
            scalars.append(Unicode.Scalar(value) ?? "?")
        }
        return String(scalars)
    }
}
