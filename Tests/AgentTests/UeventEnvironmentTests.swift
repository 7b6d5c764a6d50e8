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
