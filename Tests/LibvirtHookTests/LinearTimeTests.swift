import APTestSupport
import Testing

@testable import LibvirtHook

/// `hook libvirt` runs while a guest starts: reading its XML must take time
/// linear in the document. Counted in comparisons, not timed: doubling the
/// input may at most double the work (plus a constant).
@Suite("DomainXML: linear work")
struct LinearTimeTests {
    static func work(_ document: [UInt8]) throws -> (work: Int, mdevs: Int) {
        var work = 0
        let mdevs = try DomainXML.vfioAPMdevs(in: document, work: &work)
        return (work, mdevs.count)
    }

    @Test("attributes on one element: work grows linearly (old: n²/2 comparisons)")
    func attributes() throws {
        let small = try Self.work(LargeDomainXML.manyAttributes(5_000))
        let large = try Self.work(LargeDomainXML.manyAttributes(10_000))
        #expect(small.mdevs == 1 && large.mdevs == 1)
        #expect(large.work <= 2 * small.work + 64, "\(small.work) → \(large.work)")
        #expect(large.work <= 4 * 10_000, "\(large.work) comparisons for 10,000 attributes")
    }

    @Test("hostdevs: work grows linearly and every mdev is found once (old: n²/2 comparisons)")
    func hostdevs() throws {
        let small = try Self.work(LargeDomainXML.manyHostdevs(4_000))
        let large = try Self.work(LargeDomainXML.manyHostdevs(8_000))
        #expect(small.mdevs == 4_000 && large.mdevs == 8_000)
        #expect(large.work <= 2 * small.work + 64, "\(small.work) → \(large.work)")
        #expect(large.work <= 16 * 8_000, "\(large.work) comparisons for 8,000 hostdevs")
    }

    @Test("a duplicate among many attributes is still found, early or late")
    func duplicateAmongMany() {
        var text = "<a"
        for index in 0..<100 { text += " x\(index)='1'" }
        #expect(throws: XMLSyntaxError.self) { try XMLDocumentReader.parse(Array((text + " x3='2'/>").utf8)) }
        #expect(throws: XMLSyntaxError.self) { try XMLDocumentReader.parse(Array((text + " x99='2'/>").utf8)) }
        #expect(throws: Never.self) { try XMLDocumentReader.parse(Array((text + " x100='2'/>").utf8)) }
    }

    @Test("the same mdev twice is reported once")
    func repeatedMdev() throws {
        let hostdev = { (uuid: String) in
            "<hostdev mode='subsystem' type='mdev' model='vfio-ap'><source><address uuid='\(uuid)'/></source></hostdev>"
        }
        let twice = "<domain><devices>" + hostdev(LargeDomainXML.uuid(0)) + hostdev(LargeDomainXML.uuid(0).uppercased())
            + "</devices></domain>"
        #expect(try DomainXML.vfioAPMdevs(in: twice).map(\.description) == [LargeDomainXML.uuid(0)])
    }
}
