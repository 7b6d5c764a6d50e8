import APModel
import Agent
import Testing

@Suite struct ControlMessageTests {
    @Test func guestAndUeventRecordsRoundTrip() throws {
        let messages: [ControlMessage] = [
            .guest(GuestRecord(action: .attach, mdev: MdevUUID("0b5e7a3c-6e8d-4a63-9a5c-1f4c2b8e9d10")!, name: "vm1")),
            .uevent(Uevent([
                "ACTION": "change", "DEVPATH": "/devices/ap", "SUBSYSTEM": "ap",
                "APMASK": "0x" + String(repeating: "0", count: 64) + "\n", "SEQNUM": "3",
            ])),
        ]
        for message in messages { #expect(ControlMessage(parsing: message.text) == message) }
        #expect(ControlMessage.uevent(Uevent(["ACTION": "add"])).text.hasPrefix(#"{"type":"uevent","env":{"ACTION":"add"}}"#))
    }

    @Test func otherRecordsAndTextAreRefused() {
        #expect(ControlMessage(parsing: #"{"type":"observe","path":"/sys/bus/ap/apmask","value":"0x0"}"#) == nil)
        #expect(ControlMessage(parsing: "hello") == nil)
        #expect(ControlMessage(parsing: "") == nil)
    }
}
