import APModel
import Testing

/// Kernel text forms of APIDs, APQNs, device paths and mdev UUIDs.
@Suite struct IdentifierTests {
    @Test func apqnTextForms() {
        #expect(APQN(adapter: 0x0a, domain: 0x47).description == "0a.0047")
        #expect(APQN("05.00ab") == APQN(adapter: 5, domain: 0xab))
        #expect(APQN("05.0100") == nil)
        #expect(APQN("0500ab") == nil)
        #expect(APID(5).cardName == "card05")
        #expect(APID(cardName: "card0a") == APID(10))
        #expect(APID(cardName: "cardx") == nil)
        #expect(APQN(index: APQN(adapter: 7, domain: 9).index) == APQN(adapter: 7, domain: 9))
    }

    @Test func devicePaths() {
        #expect(APDevice(devpath: "/devices/ap") == .busRoot)
        #expect(APDevice(devpath: "/devices/ap/card05") == .card(APID(5)))
        #expect(APDevice(devpath: "/devices/ap/card05/05.00ab") == .queue(APQN(adapter: 5, domain: 0xab)))
        #expect(APDevice(devpath: "/devices/ap/card05/06.00ab") == nil, "a queue under another adapter's card")
        #expect(APDevice(devpath: "/devices/vfio_ap/matrix") == .matrix)
        let uuid = "0b5e1c3a-1111-4c4c-8888-000000000001"
        #expect(APDevice(devpath: "/devices/vfio_ap/matrix/" + uuid) == .mdev(MdevUUID(uuid)!))
        #expect(APDevice(devpath: "/devices/vfio_ap/matrix/" + uuid + "/vfio-dev/vfio0") == nil)
        #expect(APDevice(devpath: "/devices/vfio_ap") == nil)
        #expect(APDevice(devpath: "/devices/ap/bogus") == nil)
        #expect(APDevice(devpath: "/devices/virtual/vfio/0") == nil)
        for device in [APDevice.busRoot, .card(APID(0xff)), .queue(APQN(adapter: 0xff, domain: 0xff)), .matrix] {
            #expect(APDevice(devpath: device.devpath) == device)
        }
    }

    @Test func mdevUUIDsAreLowercase() {
        #expect(MdevUUID("0B5E1C3A-1111-4C4C-8888-00000000000A")?.description == "0b5e1c3a-1111-4c4c-8888-00000000000a")
        #expect(MdevUUID("0b5e1c3a11114c4c8888000000000001") == nil)
        #expect(MdevUUID("0b5e1c3a-1111-4c4c-8888-00000000000g") == nil)
    }

    @Test func uevents() {
        let event = Uevent(["ACTION": "change", "DEVPATH": "/devices/ap", "SUBSYSTEM": "ap", "APMASK": "0xff\n", "SEQNUM": "42"])
        #expect(event.action == "change")
        #expect(event["APMASK"] == "0xff\n")
        #expect(event.seqnum == 42)
        #expect(event.driver == nil)
    }
}
