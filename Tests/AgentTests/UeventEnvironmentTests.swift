import APModel
import Agent
import Testing

@Suite struct UeventEnvironmentTests {
    @Test func takesTheKernelKeysInKernelOrderAndNothingElse() throws {
        let environment = [
            "SEQNUM": "4711", "DRIVER": "vfio_ap", "DEVTYPE": "ap_queue", "MODE": "cca", "SUBSYSTEM": "ap",
            "DEVPATH": "/devices/ap/card05/05.0004", "ACTION": "bind", "PATH": "/usr/bin", "USEC_INITIALIZED": "1",
            "HOME": "/root",
        ]
        #expect(try UeventEnvironment.uevent(from: environment) == Uevent([
            "ACTION": "bind", "DEVPATH": "/devices/ap/card05/05.0004", "SUBSYSTEM": "ap", "DEVTYPE": "ap_queue",
            "DRIVER": "vfio_ap", "MODE": "cca", "SEQNUM": "4711",
        ]))
    }

    @Test func keepsCustomKeysRaw() throws {
        let mask = "0x" + String(repeating: "f", count: 64) + "\n"
        let event = try UeventEnvironment.uevent(from: [
            "ACTION": "change", "DEVPATH": "/devices/ap", "SUBSYSTEM": "ap", "APMASK": mask, "SEQNUM": "9",
        ])
        #expect(event["APMASK"] == mask)
        #expect(event.properties.map(\.key) == ["ACTION", "DEVPATH", "SUBSYSTEM", "APMASK", "SEQNUM"])
    }

    @Test func withoutSeqnumTheEventIsStillUsable() throws {
        let event = try UeventEnvironment.uevent(from: ["ACTION": "add", "DEVPATH": "/devices/vfio_ap/matrix", "SUBSYSTEM": "matrix"])
        #expect(event.seqnum == nil)
    }

    @Test func missingOrBadKeysAreNamed() {
        #expect(throws: UeventEnvironmentError.missing(["ACTION", "DEVPATH", "SUBSYSTEM"])) {
            try UeventEnvironment.uevent(from: ["PATH": "/bin"])
        }
        #expect(throws: UeventEnvironmentError.missing(["DEVPATH"])) {
            try UeventEnvironment.uevent(from: ["ACTION": "add", "DEVPATH": "", "SUBSYSTEM": "ap"])
        }
        #expect(throws: UeventEnvironmentError.badSeqnum("12a")) {
            try UeventEnvironment.uevent(from: ["ACTION": "add", "DEVPATH": "/devices/ap", "SUBSYSTEM": "ap", "SEQNUM": "12a"])
        }
        #expect(UeventEnvironmentError.missing(["ACTION"]).description.hasPrefix("no uevent in the environment: ACTION is not set"))
    }
}

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
