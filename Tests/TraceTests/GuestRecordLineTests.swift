import APModel
import Trace
import Testing

@Suite("Guest records as the libvirt hook sends them: the design.md guest record")
struct GuestRecordLineTests {
    @Test("keys in design order, the mdev lowercase")
    func attach() throws {
        let mdev = try #require(MdevUUID("0B5E1C2D-AAAA-4BBB-8CCC-DDDDEEEEFFFF"))
        #expect(
            JSONLinesWriter.line(.guest(GuestRecord(action: .attach, mdev: mdev, name: "vm1")))
                == #"{"type":"guest","action":"attach","mdev":"0b5e1c2d-aaaa-4bbb-8ccc-ddddeeeeffff","name":"vm1"}"# + "\n")
    }

    @Test("names with quotes, backslashes, control characters and non-ASCII are escaped as JSON")
    func escaping() throws {
        let mdev = try #require(MdevUUID("00000000-0000-4000-8000-000000000001"))
        let line = JSONLinesWriter.line(.guest(GuestRecord(action: .detach, mdev: mdev, name: "a\"b\\c\td\u{1}é")))
        #expect(line == #"{"type":"guest","action":"detach","mdev":"00000000-0000-4000-8000-000000000001","name":"a\"b\\c\td\u0001é"}"# + "\n")
    }
}
