import APModel
import APTestSupport
import Agent
import Foundation
import HotplugEngine
import Testing

/// `<state-dir>/state.json` written and read back through ``StateFile/decode(_:)``.
@Suite struct StateFileTests {
    static let a = MdevUUID("0b5e1c3a-1111-4c4c-8888-000000000001")!
    static let b = MdevUUID("0b5e1c3a-2222-4c4c-8888-000000000002")!

    /// A = 05,06 × 0004,00ab with control domain 0004, 06.00ab unbound (06 withheld), guest vm1; B unused.
    static func engine() -> Engine {
        var engine = Engine()
        let host = HostSnapshot.passthroughHost(
            adapters: [5, 6], domains: [4, 0xab], unbound: ["06.00ab"],
            mdevs: [
                .init(uuid: a, assigned: APMatrix(adapters: APMask([5, 6]), domains: APMask([4, 0xab]), controlDomains: APMask([4])),
                      guestMatrix: APMatrix([5], [4, 0xab])),
                .init(uuid: b, assigned: APMatrix([5], [4]), guestMatrix: nil),
            ])
        _ = engine.handle(.snapshot(host, guests: [a: "vm1"], position: 0))
        return engine
    }

    static func written(_ engine: Engine, counters: StateFile.Counters?) throws -> (TemporaryDirectoryPath, [UInt8]) {
        let directory = try TemporaryDirectoryPath()
        #expect(StateFile.write(engine.finalStateJSON, counters: counters, in: directory.path) == nil)
        let data = try #require(FileManager.default.contents(atPath: StateFile.path(in: directory.path)))
        return (directory, Array(data))
    }

    static func error(_ text: String) -> StateFileError? {
        do {
            _ = try StateFile.decode(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test("what the daemon writes reads back as the engine's picture, and encodes to the same bytes")
    func roundTrips() throws {
        let engine = Self.engine()
        let (_, bytes) = try Self.written(engine, counters: StateFile.Counters(uevents: 131_073, rescans: 2))
        let content = try StateFile.decode(bytes)
        #expect(content.state == engine.finalState)
        #expect(content.state.json == engine.finalStateJSON)
        #expect(content.counters == StateFile.Counters(uevents: 131_073, rescans: 2))
        #expect(content.updated.count == 20 && content.updated.hasSuffix("Z"))
        #expect(content.state.mdevs.map(\.uuid) == [Self.a, Self.b])
        #expect(content.state.mdevs.first?.guest == "vm1")
        #expect(content.state.mdevs.first?.assigned.controlDomains == APMask([4]))
        #expect(content.state.mdevs.first?.shadow.adapters == APMask([5]))
        #expect(content.state.mdevs.first?.blocksMigration == true)
        #expect(content.state.mdevs.last?.guest == nil)
    }

    @Test("a file of aphotplug handle has no counters")
    func withoutCounters() throws {
        let (_, bytes) = try Self.written(Self.engine(), counters: nil)
        #expect(try StateFile.decode(bytes).counters == nil)
    }

    @Test("guest names come back by mdev; a file that is not a state file gives none")
    func guestNames() throws {
        let (directory, _) = try Self.written(Self.engine(), counters: nil)
        #expect(StateFile.guestNames(in: directory.path) == [Self.a: "vm1"])
        let entry = #""0b5e1c3a-1111-4c4c-8888-000000000001":{"guest":"vm1","assigned":{"adapters":[],"domains":[],"control_domains":[]},"shadow":{"adapters":[],"domains":[],"control_domains":[]},"blocker":true}"#
        let duplicate = #"{"updated":"a","state":{"mdevs":{"# + entry + "," + entry + "}}}"
        try duplicate.write(toFile: StateFile.path(in: directory.path), atomically: false, encoding: .utf8)
        #expect(StateFile.guestNames(in: directory.path) == [:])
        #expect(StateFile.guestNames(in: directory.path + "/absent") == [:])
    }

    @Test("errors name the byte or the member, what was expected and what was there")
    func errors() {
        #expect(Self.error(#"{"updated":"a",}"#) == StateFileError(
            place: "byte 15", expected: "a member name in double quotes", found: "'}'"))
        #expect(Self.error(#"{"updated":"a"}"#) == StateFileError(place: "the file", expected: "a member state", found: "none"))
        #expect(Self.error(#"{"updated":1,"state":{"mdevs":{}}}"#) == StateFileError(
            place: "updated", expected: "a string", found: "the number 1"))
        let mdev = #"{"guest":null,"assigned":{"adapters":["06","05"],"domains":[],"control_domains":[]},"shadow":{"adapters":[],"domains":[],"control_domains":[]},"blocker":false}"#
        #expect(Self.error(#"{"updated":"a","state":{"mdevs":{"0b5e1c3a-1111-4c4c-8888-000000000001":"# + mdev + "}}}") == StateFileError(
            place: "state.mdevs.0b5e1c3a-1111-4c4c-8888-000000000001.assigned.adapters",
            expected: "identifiers of 2 lowercase hex digits (00-ff), ascending, each once",
            found: "the string '05' after a larger or equal one"))
        #expect(Self.error(#"{"updated":"a","state":{"mdevs":{},"x":1}}"#) == StateFileError(
            place: "state", expected: "only the members mdevs", found: "'x'"))
    }
}
