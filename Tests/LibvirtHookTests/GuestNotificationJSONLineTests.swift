import APModel
import LibvirtHook
import Testing

@Suite("GuestNotification.jsonLine: the design.md guest record")
struct GuestNotificationJSONLineTests {
    @Test("keys in design order, the mdev lowercase")
    func attach() throws {
        let mdev = try #require(MdevUUID("0B5E1C2D-AAAA-4BBB-8CCC-DDDDEEEEFFFF"))
        #expect(
            GuestNotification(action: .attach, mdev: mdev, name: "vm1").jsonLine
                == #"{"type":"guest","action":"attach","mdev":"0b5e1c2d-aaaa-4bbb-8ccc-ddddeeeeffff","name":"vm1"}"#)
    }

    @Test("names with quotes, backslashes, control characters and non-ASCII are escaped as JSON")
    func escaping() throws {
        let mdev = try #require(MdevUUID("00000000-0000-4000-8000-000000000001"))
        let line = GuestNotification(action: .detach, mdev: mdev, name: "a\"b\\c\td\u{1}é").jsonLine
        #expect(line == #"{"type":"guest","action":"detach","mdev":"00000000-0000-4000-8000-000000000001","name":"a\"b\\c\td\u0001é"}"#)
    }
}
