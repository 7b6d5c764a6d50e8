import APModel
import APTestSupport
import Agent
import Foundation
import HotplugEngine
import Testing

@Suite struct EngineStateFileTests {
    static func checkpoint() -> DaemonCore.Checkpoint {
        var engine = Engine()
        _ = engine.handle(.snapshot(.passthroughHost(adapters: [4, 5], domains: [6, 7]), guests: [:], position: 1))
        return DaemonCore.Checkpoint(
            engine: engine, position: 17, lastRead: ["/sys/bus/ap/ap_adapter_mask": "0x0c00\n", "/sys/x": ""],
            lastDefinitions: [MdevUUID("0b5e7a3c-6e8d-4a63-9a5c-1f4c2b8e9d10")!: #"{"start":"auto"}"#],
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
        #expect(throws: PersistedStateError(.versionMismatch(found: 9, expected: 1), field: "version", offset: 5)) {
            try EngineStateFile.decode(bytes)
        }
        #expect(throws: PersistedStateError(.notPersistedState, field: "magic", offset: 0)) {
            try EngineStateFile.decode(Array("APHE".utf8))
        }
        #expect(throws: PersistedStateError(.truncated, field: "boot_id", offset: 5)) {
            try EngineStateFile.decode(Array("APHS".utf8) + [1])
        }
        #expect(throws: PersistedStateError(.truncated, field: "position", offset: 7)) {
            try EngineStateFile.decode(Array("APHS".utf8) + [1, 1, 0x62])
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
        case .unusable(let reason): #expect(reason == "\(path): not aphotplug persisted state (wrong magic) (field magic, byte offset 0)")
        case .missing, .restored: Issue.record("garbage must be unusable")
        }
        #expect(EngineStateFile.write(Self.checkpoint(), bootID: "b", in: directory + "/missing") != nil)
        #expect(EngineStateFile.currentBootID().count == 36)
    }
}
