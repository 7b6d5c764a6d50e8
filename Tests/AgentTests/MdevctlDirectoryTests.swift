import APModel
import APTestSupport
import Agent
import Foundation
import Glibc
import HotplugEngine
import Testing
import Trace

/// mdevctl's definitions are read with the care of sysfs attributes (no links, no
/// FIFOs, bounded), but with room for the largest real definition.
@Suite struct MdevctlDirectoryTests {
    static let uuid = MdevUUID("0b5e1c3a-1111-4c4c-8888-000000000001")!

    @Test("a definition of every adapter, domain and control domain (over 4 KiB) is read whole")
    func largestDefinition() throws {
        try withTemporaryDirectory { directory in
            #expect(mkdir(directory + "/matrix", 0o755) == 0)
            var attrs: [String] = []
            for kind in ["assign_adapter", "assign_domain", "assign_control_domain"] {
                for id in 0..<256 { attrs.append(#"{"\#(kind)":"0x\#(String(id, radix: 16))"}"#) }
            }
            let text = #"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[\#(attrs.joined(separator: ","))]}"# + "\n"
            #expect(text.utf8.count > 4096)
            try text.write(toFile: directory + "/matrix/\(Self.uuid)", atomically: false, encoding: .utf8)
            let read = MdevctlDirectory(path: directory).read()
            #expect(read[Self.uuid] == text)
            guard case .defined(let definition) = DefinitionReading(mdevctlConfig: read[Self.uuid], of: Self.uuid) else {
                Issue.record("the definition must parse")
                return
            }
            #expect(definition.matrix == APMatrix(adapters: .all, domains: .all, controlDomains: .all))
        }
    }

    @Test("a FIFO among the definitions does not hang the read; it is left out")
    func fifoIsLeftOut() throws {
        try withTemporaryDirectory { directory in
            #expect(mkdir(directory + "/matrix", 0o755) == 0)
            #expect(mkfifo(directory + "/matrix/\(Self.uuid)", 0o644) == 0)
            let read = finishing(within: .seconds(5)) { MdevctlDirectory(path: directory).read().count }
            #expect(read == 0)
        }
    }

    /// mdevctl writes a definition in place (`write_config` in mdevctl's
    /// `src/mdev.rs`: `fs::write`, truncate then write): a read between its truncate and its
    /// write sees an empty file. The file is read again before it is reported;
    /// here the pause is where mdevctl's write completes.
    @Test func fileReadMidWriteIsReadAgain() throws {
        try withTemporaryDirectory { directory in
            #expect(mkdir(directory + "/matrix", 0o755) == 0)
            let path = directory + "/matrix/\(Self.uuid)"
            // mdevctl's testdata/modify/auto.expected, as mdevctl's serde_json writes it.
            let text = """
                {"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"5"},{"assign_domain":"0xab"}]}
                """
            try "{\"mdev_type\":\"vfio_ap-pass".write(toFile: path, atomically: false, encoding: .utf8)
            let pauses = Counter()
            let read = MdevctlDirectory(path: directory, pause: {
                pauses.increment()
                try? text.write(toFile: path, atomically: false, encoding: .utf8)
            }).read()
            #expect(read[Self.uuid] == text)
            #expect(pauses.value == 1)
            // A file that stays unusable is reported after the re-reads, and not
            // read again once it was fed.
            try "{".write(toFile: path, atomically: false, encoding: .utf8)
            let again = Counter()
            let directoryReader = MdevctlDirectory(path: directory, pause: { again.increment() })
            #expect(directoryReader.read()[Self.uuid] == "{")
            #expect(again.value == MdevctlDirectory.rereads)
            #expect(directoryReader.read(known: [Self.uuid: "{"])[Self.uuid] == "{")
            #expect(again.value == MdevctlDirectory.rereads)
        }
    }
}

/// chzdev's rule file is read as udev and ap-check read it (links followed, a
/// rule masked by a link to /dev/null is empty) but never waited on, bounded,
/// and read again when it looks caught in chzdev's remove-and-rewrite.
@Suite struct APMaskRulesFileTests {
    static let rule = "ATTR{../../bus/ap/apmask}=\"0x" + String(repeating: "0", count: 64) + "\"\n"

    @Test func linksFIFOsAndAbsence() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/41-ap.rules"
            #expect(APMaskRulesFile(path: path, pause: {}).read() == .absent)
            #expect(symlink("/dev/null", path) == 0)
            #expect(APMaskRulesFile(path: path).read() == .text(""))
            unlink(path)
            try Self.rule.write(toFile: directory + "/kept", atomically: false, encoding: .utf8)
            #expect(symlink(directory + "/kept", path) == 0)
            #expect(APMaskRulesFile(path: path).read() == .text(Self.rule))
            unlink(path)
            #expect(mkfifo(path, 0o644) == 0)
            let read = finishing(within: .seconds(5)) { APMaskRulesFile(path: path, pause: {}).read() }
            #expect(read == .unreadable(reason: "a FIFO, not a rules file"))
            unlink(path)
            #expect(symlink("/dev/zero", path) == 0)
            #expect(APMaskRulesFile(path: path, pause: {}).read() == .unreadable(reason: "a character device, not a rules file"))
        }
    }

    /// chzdev removes the rule and writes it anew (`ap_write_type_udev`): a read
    /// in between finds no file, or half of it. Both are read again.
    @Test func ruleReadMidRewriteIsReadAgain() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/41-ap.rules"
            let pauses = Counter()
            let file = APMaskRulesFile(path: path, pause: {
                pauses.increment()
                try? Self.rule.write(toFile: path, atomically: false, encoding: .utf8)
            })
            #expect(file.read(known: .text(Self.rule)) == .text(Self.rule))
            #expect(pauses.value == 1)
            try String(Self.rule.prefix(40)).write(toFile: path, atomically: false, encoding: .utf8)
            #expect(file.read(known: .text(Self.rule)) == .text(Self.rule))
            #expect(pauses.value == 2)
            // Gone for good: reported after the re-reads.
            let again = Counter()
            unlink(path)
            #expect(APMaskRulesFile(path: path, pause: { again.increment() }).read(known: .text(Self.rule)) == .absent)
            #expect(again.value == MdevctlDirectory.rereads)
        }
    }
}

/// A count shared with a `@Sendable` closure.
private final class Counter: @unchecked Sendable {
    private(set) var value = 0
    func increment() { value += 1 }
}
