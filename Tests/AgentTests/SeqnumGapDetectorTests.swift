import APModel
import APTestSupport
import Agent
import Testing

@Suite struct SeqnumGapDetectorTests {
    static func queue(_ action: String, _ seq: UInt64) -> Uevent {
        KernelEvent.queue(action, "05.0004", driver: action == "bind" ? "vfio_ap" : nil, seq: seq)
    }

    @Test("a contiguous burst, delivered out of order and twice, has no gap")
    func contiguous() {
        var detector = SeqnumGapDetector()
        for seq: UInt64 in [12, 10, 11, 13, 13, 10] { detector.record(Self.queue("bind", seq)) }
        #expect(detector.settle() == nil)
    }

    @Test("a hole inside an AP burst is reported once, with its size and bounds")
    func hole() {
        var detector = SeqnumGapDetector()
        for seq: UInt64 in [100, 101, 104, 105] { detector.record(Self.queue("unbind", seq)) }
        #expect(detector.settle() == SeqnumGapDetector.Gap(after: 100, before: 105, count: 2))
        #expect(detector.settle() == nil)
    }

    @Test("mdev and matrix events fill holes; holes between bursts are normal")
    func fillersAndBursts() {
        var detector = SeqnumGapDetector()
        detector.record(Self.queue("unbind", 200))
        detector.record(KernelEvent.mdev("add", "0b5e1c3a-1111-4c4c-8888-000000000001", seq: 201))
        detector.record(Self.queue("bind", 202))
        #expect(detector.settle() == nil)
        detector.record(Self.queue("bind", 950))  // the next burst, much later
        #expect(detector.settle() == nil)
    }

    @Test("events without a SEQNUM are not judged")
    func noSeqnum() {
        var detector = SeqnumGapDetector()
        detector.record(Uevent(properties: [.init("ACTION", "bind"), .init("SUBSYSTEM", "ap")]))
        detector.record(Self.queue("bind", 7))
        #expect(detector.settle() == nil)
    }

    @Test("SEQNUM 0 and 2^64-1 in one burst: one gap of 2^64-2, no overflow")
    func extremes() {
        var detector = SeqnumGapDetector()
        detector.record(Self.queue("unbind", 0))
        detector.record(Self.queue("bind", UInt64.max))
        #expect(detector.settle() == SeqnumGapDetector.Gap(after: 0, before: UInt64.max, count: UInt64.max - 1))
        for seq: UInt64 in [UInt64.max - 1, UInt64.max, 0, 1] { detector.record(Self.queue("bind", seq)) }
        #expect(detector.settle() == SeqnumGapDetector.Gap(after: 0, before: UInt64.max, count: UInt64.max - 3))
    }
}
