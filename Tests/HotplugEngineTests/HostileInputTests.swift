import APModel
import APTestSupport
import Sysfs
import Testing
import Trace
@testable import HotplugEngine

/// Numbers and names from outside at the edge of their range: the engine
/// answers with decisions, never with an arithmetic or capacity trap.
@Suite struct HostileInputTests {
    static let maxCount = String(UInt64.max)

    static func complete(_ count: String, seq: UInt64) -> EngineEvent {
        .uevent(KernelEvent.busRoot(["BINDINGS": "complete", "COMPLETECOUNT": count], seq: seq), position: seq)
    }

    static func started(completeCount: UInt64? = nil) -> Engine {
        var engine = Engine()
        var snapshot = HostSnapshot.passthroughHost(adapters: [5], domains: [4])
        snapshot.bindingsCompleteCount = completeCount
        _ = engine.handle(.snapshot(snapshot, guests: [:], position: 0))
        return engine
    }

    @Test("COMPLETECOUNT 2^64-1 in a uevent, then again and then 0: anomalies, no overflow")
    func completeCountAtTheTopFromAUevent() {
        var engine = Self.started()
        #expect(engine.handle(Self.complete("1", seq: 1)) == [])
        #expect(engine.handle(Self.complete(Self.maxCount, seq: 2)).map(\.kind) == [.resync])
        #expect(engine.handle(Self.complete(Self.maxCount, seq: 3)).map(\.kind) == [.anomaly])
        #expect(engine.handle(Self.complete("0", seq: 4)).map(\.kind) == [.anomaly])
        #expect(engine.handle(Self.complete("1", seq: 5)) == [])
    }

    @Test("COMPLETECOUNT 2^64-1 from sysfs bindings_complete_count, then the next BINDINGS event")
    func completeCountAtTheTopFromSysfs() {
        var engine = Self.started(completeCount: UInt64.max)
        #expect(engine.handle(Self.complete(Self.maxCount, seq: 1)).map(\.kind) == [.anomaly])
        #expect(engine.handle(Self.complete("7", seq: 2)).map(\.kind) == [.anomaly])
    }

    @Test("bindings_complete_count 18446744073709551615 read from a sysfs tree, then the next BINDINGS event")
    func completeCountAtTheTopReadFromATree() throws {
        var snapshot = HostSnapshot.passthroughHost(adapters: [5], domains: [4])
        snapshot.bindingsCompleteCount = UInt64.max
        let read = try withTemporaryDirectory { root in
            try SysfsTreeWriter.write(snapshot, to: root)
            return try SnapshotReader(tree: try DirectorySysfsTree(root: root)).read()
        }
        #expect(read.bindingsCompleteCount == UInt64.max)
        var engine = Engine()
        _ = engine.handle(.snapshot(read, guests: [:], position: 0))
        #expect(engine.handle(Self.complete("1", seq: 1)).map(\.kind) == [.anomaly])
    }

    @Test("COMPLETECOUNT 2^64-1 saved in the persisted state does not trap the next run")
    func completeCountAtTheTopSurvivesPersistence() throws {
        var engine = Self.started()
        _ = engine.handle(Self.complete(Self.maxCount, seq: 1))
        var restored = try PersistedStateTests.decoded(PersistedStateTests.encoded(engine))
        #expect(restored.lastCompleteCount == UInt64.max)
        #expect(restored.handle(Self.complete("2", seq: 2)).map(\.kind) == [.anomaly])
    }

    @Test("COMPLETECOUNT 2^64-1 in a JSON Lines trace record")
    func completeCountAtTheTopFromATrace() throws {
        let trace = """
            {"type":"uevent","env":{"ACTION":"change","DEVPATH":"/devices/ap","SUBSYSTEM":"ap","BINDINGS":"complete","COMPLETECOUNT":"5","SEQNUM":"1"}}
            {"type":"uevent","env":{"ACTION":"change","DEVPATH":"/devices/ap","SUBSYSTEM":"ap","BINDINGS":"complete","COMPLETECOUNT":"18446744073709551615","SEQNUM":"2"}}
            {"type":"uevent","env":{"ACTION":"change","DEVPATH":"/devices/ap","SUBSYSTEM":"ap","BINDINGS":"complete","COMPLETECOUNT":"18446744073709551615","SEQNUM":"3"}}

            """
        var engine = Self.started()
        var kinds: [Decision.Kind] = []
        for (index, entry) in try TraceReader.read(Array(trace.utf8), fileName: "t.jsonl").enumerated() {
            guard case .uevent(let uevent) = entry.record else { continue }
            kinds += engine.handle(.uevent(uevent, position: UInt64(index))).map(\.kind)
        }
        #expect(kinds == [.resync, .anomaly])
    }

    @Test("COMPLETECOUNT beyond 2^64-1 or negative is an anomaly")
    func completeCountOutOfRange() {
        var engine = Self.started()
        #expect(engine.handle(Self.complete("18446744073709551616", seq: 1)).map(\.kind) == [.anomaly])
        #expect(engine.handle(Self.complete("-1", seq: 2)).map(\.kind) == [.anomaly])
    }

    @Test("more than 255 distinct DRIVER names: no trap, vfio_ap still tells passable queues")
    func manyDriverNames() throws {
        var engine = Self.started()
        var seq: UInt64 = 10
        // 300 queues on adapter 6, each bound to its own driver, then rebound to others.
        for round in 0..<2 {
            for domain in 0..<150 {
                let apqn = APQN(adapter: 6, domain: UInt8(domain)).description
                seq += 1
                if round == 0 { _ = engine.handle(.uevent(KernelEvent.queue("add", apqn, seq: seq), position: seq)) }
                seq += 1
                _ = engine.handle(.uevent(KernelEvent.queue("bind", apqn, driver: "drv\(round)-\(domain)", seq: seq), position: seq))
            }
        }
        // The adds and binds form one AP bus scan, decided once it has settled.
        _ = engine.handle(.settled(position: seq))
        #expect(engine.host.driverName(engine.host.queue(APQN(adapter: 6, domain: 149)).driver) == "drv1-149")
        for index in 0..<300 {
            seq += 1
            let apqn = APQN(adapter: 7, domain: UInt8(index % 256)).description
            _ = engine.handle(.uevent(KernelEvent.queue("bind", apqn, driver: "other\(index)", seq: seq), position: seq))
        }
        #expect(engine.host.driverNames.count <= 256)
        seq += 1
        _ = engine.handle(.uevent(KernelEvent.queue("bind", "06.0003", driver: "vfio_ap", seq: seq), position: seq))
        #expect(engine.host.queue(APQN(adapter: 6, domain: 3)).driver == HostModel.vfioDriver)
        #expect(engine.host.passable[6].contains(3))
        // The model still persists and restores.
        let restored = try PersistedStateTests.decoded(PersistedStateTests.encoded(engine))
        #expect(restored.finalStateJSON == engine.finalStateJSON)
    }
}
