import APModel
import APTestSupport
import Agent
import Foundation
import Glibc
import HotplugEngine
import Testing
import Trace

@Suite struct EngineStateFileTests {
    static func checkpoint() -> DaemonCore.Checkpoint {
        var engine = Engine()
        _ = engine.handle(.snapshot(.passthroughHost(adapters: [4, 5], domains: [6, 7]), guests: [:], position: 1))
        return DaemonCore.Checkpoint(
            engine: engine, position: 17, lastRead: ["/sys/bus/ap/ap_adapter_mask": "0x0c00\n", "/sys/x": ""],
            lastDefinitions: DefinitionFiles(
                definitions: [MdevUUID("0b5e7a3c-6e8d-4a63-9a5c-1f4c2b8e9d10")!: #"{"start":"auto"}"#],
                apMaskRules: .text("ATTR{../../bus/ap/apmask}=\"0x00\"\n")),
            handledSeqnums: SeqnumWindow(seqnums: [5, 9, 4]))
    }

    @Test func roundTrips() throws {
        let bytes = EngineStateFile.encode(Self.checkpoint(), bootID: "boot-1")
        let (decoded, bootID) = try EngineStateFile.decode(bytes)
        #expect(bootID == "boot-1")
        #expect(decoded.position == 17)
        #expect(decoded.lastRead == Self.checkpoint().lastRead)
        #expect(decoded.lastDefinitions == Self.checkpoint().lastDefinitions)
        #expect(decoded.handledSeqnums.seqnums == [5, 9, 4])
        #expect(decoded.engine.finalStateJSON == Self.checkpoint().engine.finalStateJSON)
        #expect(EngineStateFile.encode(decoded, bootID: bootID) == bytes)
    }

    @Test func errorsNameTheFieldAndOffset() {
        var bytes = EngineStateFile.encode(Self.checkpoint(), bootID: "b")
        #expect(throws: PersistedStateError(.trailingBytes(2), field: "end", offset: bytes.count)) {
            try EngineStateFile.decode(bytes + [0, 0])
        }
        bytes[4] = 9
        #expect(throws: PersistedStateError(.versionMismatch(found: 9, expected: 2), field: "version", offset: 5)) {
            try EngineStateFile.decode(bytes)
        }
        #expect(throws: PersistedStateError(.notPersistedState, field: "magic", offset: 0)) {
            try EngineStateFile.decode(Array("APHE".utf8))
        }
        #expect(throws: PersistedStateError(.truncated, field: "boot_id", offset: 5)) {
            try EngineStateFile.decode(Array("APHS".utf8) + [2])
        }
        #expect(throws: PersistedStateError(.truncated, field: "position", offset: 7)) {
            try EngineStateFile.decode(Array("APHS".utf8) + [2, 1, 0x62])
        }
    }

    @Test func fileIsWrittenAtomicallyWithMode0600() throws {
        try withTemporaryDirectory { path in try fileIsWrittenAtomicallyWithMode0600(in: path) }
    }

    func fileIsWrittenAtomicallyWithMode0600(in directory: String) throws {
        switch EngineStateFile.read(in: directory, bootID: "b") {
        case .missing: break
        case .restored, .unusable: Issue.record("an empty directory has no engine state")
        }
        #expect(EngineStateFile.write(Self.checkpoint(), bootID: "b", in: directory) == nil)
        let path = EngineStateFile.path(in: directory)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        switch EngineStateFile.read(in: directory, bootID: "b") {
        case .restored(let checkpoint): #expect(checkpoint.position == 17)
        case .missing, .unusable: Issue.record("the state just written must read back")
        }
        switch EngineStateFile.read(in: directory, bootID: "c") {
        case .unusable(let reason): #expect(reason == "\(path): saved during another boot (b)")
        case .missing, .restored: Issue.record("a state saved during another boot must be unusable")
        }
        EngineStateFile.discard(in: directory)
        switch EngineStateFile.read(in: directory, bootID: "b") {
        case .missing: break
        case .restored, .unusable: Issue.record("a discarded state is missing")
        }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        switch EngineStateFile.read(in: directory, bootID: "b") {
        case .unusable(let reason): #expect(reason == "\(path): no integrity line (truncated, or not written by aphotplug)")
        case .missing, .restored: Issue.record("garbage must be unusable")
        }
        #expect(EngineStateFile.write(Self.checkpoint(), bootID: "b", in: directory + "/missing") != nil)
        #expect(EngineStateFile.currentBootID().count == 36)
    }

    // MARK: Integrity and provenance

    static func written(in directory: String) -> [UInt8] {
        #expect(EngineStateFile.write(checkpoint(), bootID: "b", in: directory) == nil)
        return Array((try? Data(contentsOf: URL(fileURLWithPath: EngineStateFile.path(in: directory)))) ?? Data())
    }

    static func reason(in directory: String) -> String? {
        switch EngineStateFile.read(in: directory, bootID: "b") {
        case .unusable(let reason): return reason
        case .missing, .restored: return nil
        }
    }

    @Test("every single bit flip of engine.state is caught by its integrity line")
    func everyBitFlipIsCaught() throws {
        try withTemporaryDirectory { directory in
            let bytes = Self.written(in: directory)
            #expect(bytes.count > 100)
            let path = EngineStateFile.path(in: directory)
            var caught = 0
            for index in bytes.indices {
                for bit in 0..<8 {
                    var flipped = bytes
                    flipped[index] ^= 1 << bit
                    if (try? EngineStateFile.decode(file: flipped)) == nil { caught += 1 }
                }
            }
            #expect(caught == bytes.count * 8)
            var flipped = bytes
            flipped[bytes.count / 2] ^= 0x10
            try Data(flipped).write(to: URL(fileURLWithPath: path))
            #expect(Self.reason(in: directory)?.contains("integrity check failed") == true)
            try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: path))
            #expect(Self.reason(in: directory)?.contains("no integrity line") == true)
        }
    }

    @Test("an engine.state that is a symbolic link, a FIFO or another user's file is not trusted")
    func foreignFilesAreNotTrusted() throws {
        try withTemporaryDirectory { directory in
            let bytes = Self.written(in: directory)
            let path = EngineStateFile.path(in: directory)
            let elsewhere = directory + "/elsewhere"
            try Data(bytes).write(to: URL(fileURLWithPath: elsewhere))
            #expect(unlink(path) == 0 && symlink(elsewhere, path) == 0)
            #expect(Self.reason(in: directory)?.contains("symbolic link") == true)
            #expect(unlink(path) == 0 && mkfifo(path, 0o600) == 0)
            #expect(Self.reason(in: directory)?.contains("a FIFO") == true)
            #expect(unlink(path) == 0)
            _ = Self.written(in: directory)
            if geteuid() == 0 {
                #expect(chown(path, 65_534, 65_534) == 0)
                #expect(Self.reason(in: directory)?.contains("owned by uid 65534") == true)
            }
        }
    }

    @Test("a planted engine.state.tmp symbolic link: its target is left alone, the state is written")
    func plantedTemporaryLink() throws {
        try withTemporaryDirectory { directory in
            let victim = directory + "/victim"
            try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
            #expect(symlink(victim, EngineStateFile.path(in: directory) + ".tmp") == 0)
            #expect(!Self.written(in: directory).isEmpty)
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
            switch EngineStateFile.read(in: directory, bootID: "b") {
            case .restored: break
            case .missing, .unusable: Issue.record("the state written past the planted link must read back")
            }
            // state.json goes through the same file replacement.
            #expect(symlink(victim, StateFile.path(in: directory) + ".tmp") == 0)
            #expect(StateFile.write("{}", counters: nil, in: directory) == nil)
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
            #expect(try String(contentsOfFile: StateFile.path(in: directory), encoding: .utf8).hasSuffix(#""state":{}}"# + "\n"))
        }
    }

    @Test("a dangling planted link is not created through either")
    func plantedDanglingLink() throws {
        try withTemporaryDirectory { directory in
            let target = directory + "/created-by-root"
            #expect(symlink(target, StateFile.path(in: directory) + ".tmp") == 0)
            #expect(StateFile.write("{}", counters: nil, in: directory) == nil)
            #expect(access(target, F_OK) != 0)
        }
    }

    @Test("a position beyond 2^63 is refused, so counting on cannot overflow")
    func hugePositionIsRefused() {
        var checkpoint = Self.checkpoint()
        checkpoint.position = UInt64.max
        let bytes = EngineStateFile.encode(checkpoint, bootID: "b")
        #expect(throws: PersistedStateError.self) { try EngineStateFile.decode(bytes) }
    }
}

@Suite struct StateDirectoryTests {
    @Test("a fresh directory is created 0755 and accepted")
    func created() throws {
        try withTemporaryDirectory { directory in
            #expect(StateDirectory.prepare(directory + "/state") == nil)
            var info = stat()
            #expect(stat(directory + "/state", &info) == 0)
            #expect(info.st_mode & 0o777 == 0o755)
        }
    }

    @Test("a directory writable by group or others is refused", arguments: [0o777, 0o775, 0o757, 0o1777])
    func writableByOthers(mode: Int) throws {
        try withTemporaryDirectory { directory in
            #expect(chmod(directory, mode_t(mode)) == 0)
            #expect(StateDirectory.prepare(directory) == .writableByOthers(path: directory, mode: UInt32(mode)))
            #expect(StateFile.prepareDirectory(directory) != nil)
        }
    }

    @Test("a symbolic link or a file is refused")
    func notADirectory() throws {
        try withTemporaryDirectory { directory in
            #expect(mkdir(directory + "/real", 0o755) == 0 && symlink(directory + "/real", directory + "/link") == 0)
            #expect(StateDirectory.prepare(directory + "/link") == .notADirectory(path: directory + "/link", kind: "a symbolic link"))
            try Data().write(to: URL(fileURLWithPath: directory + "/file"))
            #expect(StateDirectory.prepare(directory + "/file") == .notADirectory(path: directory + "/file", kind: "a regular file"))
        }
    }

    @Test("a directory of another user is refused")
    func foreignOwner() throws {
        guard geteuid() == 0 else { return }  // only root can give a directory away
        try withTemporaryDirectory { directory in
            #expect(chown(directory, 65_534, 65_534) == 0)
            #expect(StateDirectory.prepare(directory) == .foreignOwner(path: directory, owner: 65_534, expected: 0))
        }
    }
}
