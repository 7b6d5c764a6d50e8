import Agent
import Testing

@Suite struct SeqnumWindowTests {
    @Test func aSeqnumIsHandledOnce() {
        var window = SeqnumWindow()
        let inserted = [window.insert(10), window.insert(11), window.insert(10)]
        #expect(inserted == [true, true, false])
        #expect(window.seqnums == [10, 11])
    }

    @Test func theWindowIsBounded() {
        var window = SeqnumWindow()
        for seqnum in 0..<UInt64(SeqnumWindow.capacity + 5) { _ = window.insert(seqnum) }
        #expect(window.seqnums.count == SeqnumWindow.capacity)
        #expect(window.seqnums.first == 5)
        #expect(!window.contains(4))
        let old = window.insert(4)  // too old to remember: taken as new
        #expect(old)
        #expect(SeqnumWindow(seqnums: Array(0..<2_000)).seqnums.first == UInt64(2_000 - SeqnumWindow.capacity))
    }
}
