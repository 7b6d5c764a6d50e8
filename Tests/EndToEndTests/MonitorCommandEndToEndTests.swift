import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// `aphotplug monitor` under umockdev's preload: enumeration of a fake AP tree, live
/// events injected with the libudev datagram protocol, a burst, and shutdown.
@Suite(
    "aphotplug monitor under umockdev",
    .enabled(if: UmockdevPreload.shouldRun, Comment(rawValue: UmockdevPreload.skipReason))
)
struct MonitorCommandEndToEndTests {
    @Test("enumeration: bus root without DEVTYPE, cards, queues, matrix and mdev, with sysattrs")
    func enumeration() async throws {
        let harness = try await MonitorHarness()
        let devices = try harness.enumerationLines.map(MonitorHarness.object)
        _ = try await harness.stop()
        let bySyspath = Dictionary(uniqueKeysWithValues: devices.map { ($0["syspath"] as? String ?? "", $0) })
        #expect(devices.allSatisfy { $0["type"] as? String == "device" })
        #expect(bySyspath.keys.sorted() == [
            "/sys/devices/ap", "/sys/devices/ap/card04", "/sys/devices/ap/card04/04.0006",
            "/sys/devices/ap/card04/04.0007", "/sys/devices/ap/card05", "/sys/devices/ap/card05/05.0006",
            "/sys/devices/vfio_ap/matrix", "/sys/devices/vfio_ap/matrix/\(MonitorHarness.mdevUUID)",
        ])
        #expect(!FileManager.default.fileExists(atPath: harness.testbed.sysRoot + "/bus/ap/devices/ap"))

        let root = try #require(bySyspath["/sys/devices/ap"])
        #expect(root["subsystem"] as? String == "ap")
        #expect(root["devtype"] is NSNull)
        #expect(root["properties"] as? [String: String] == ["DEVPATH": "/devices/ap", "SUBSYSTEM": "ap"])

        let card = try #require(bySyspath["/sys/devices/ap/card04"])
        #expect(card["devtype"] as? String == "ap_card")
        #expect(card["driver"] as? String == "cex4card")
        #expect((card["sysattrs"] as? [String: String])?["hwtype"] == "14")
        #expect((card["properties"] as? [String: String])?["MODALIAS"] == "ap:t0E")

        let bound = try #require(bySyspath["/sys/devices/ap/card04/04.0006"])
        #expect(bound["devtype"] as? String == "ap_queue")
        #expect(bound["driver"] as? String == "vfio_ap")
        let unbound = try #require(bySyspath["/sys/devices/ap/card04/04.0007"])
        #expect(unbound["driver"] is NSNull)
        #expect((bySyspath["/sys/devices/ap/card05/05.0006"]?["driver"]) as? String == "cex4queue")

        let matrix = try #require(bySyspath["/sys/devices/vfio_ap/matrix"])
        #expect(matrix["subsystem"] as? String == "matrix")
        #expect((matrix["sysattrs"] as? [String: String])?["features"] == "guest_matrix hotplug ap_config")
        let mdev = try #require(bySyspath["/sys/devices/vfio_ap/matrix/\(MonitorHarness.mdevUUID)"])
        #expect(mdev["subsystem"] as? String == "mdev")
        #expect(mdev["driver"] as? String == "vfio_ap_mdev")
        #expect((mdev["sysattrs"] as? [String: String])?["matrix"] == "04.0006")

        let ready = try MonitorHarness.object(harness.readyLine)
        #expect(ready["devices"] as? Int == 8)
        #expect(ready["subsystems"] as? [String] == ["ap", "matrix", "mdev"])
    }

    @Test("live events arrive with every key; other subsystems are filtered", arguments: ["udev", "kernel"])
    func liveEvents(source: String) async throws {
        let harness = try await MonitorHarness(arguments: ["--source", source])
        #expect(try MonitorHarness.object(harness.readyLine)["source"] as? String == source)
        let queue = APQN(adapter: 4, domain: 8)
        let mask = "0x" + String(repeating: "f", count: 62) + "00"
        var expected: [Uevent] = []
        func inject(_ event: Uevent) throws {
            try harness.injector.send(event)
            expected.append(event)
        }

        try harness.testbed.addDevice(
            devpath: APDevice.queue(queue).devpath, bus: "ap", ueventLines: ["DEVTYPE=ap_queue", "MODE=cca"], driver: nil)
        try inject(KernelEvent.queue("add", "04.0008", seq: 101))
        try harness.testbed.setDriver(of: APDevice.queue(queue).devpath, to: "vfio_ap")
        try inject(KernelEvent.queue("bind", "04.0008", driver: "vfio_ap", seq: 102))
        // A subsystem outside the filter: must not appear.
        try harness.injector.send(Uevent([
            "ACTION": "change", "DEVPATH": "/devices/virtual/misc/vfio", "SUBSYSTEM": "misc", "SEQNUM": "103",
        ]))
        // The unbind arrives while the driver link still exists, as when a re-bind races
        // with it (testing-with-umockdev.md §5.5): the event must still carry no DRIVER.
        try inject(KernelEvent.queue("unbind", "04.0008", seq: 104))
        try harness.testbed.setDriver(of: APDevice.queue(queue).devpath, to: nil)
        try inject(KernelEvent.queue("change", "04.0008", extra: ["CONFIG": "0"], seq: 105))
        try inject(KernelEvent.card("change", 4, driver: "cex4card", extra: ["CONFIG": "1"], seq: 106))
        try inject(KernelEvent.busRoot(["APMASK": mask + "\n"], seq: 107))
        try inject(KernelEvent.busRoot(["BINDINGS": "complete", "COMPLETECOUNT": "1"], seq: 108))
        try inject(KernelEvent.busRoot(["INITSCAN": "done"], seq: 109))
        try inject(KernelEvent.mdev("add", "4B5E7A3C-6E8D-4A63-9A5C-1F4C2B8E9D11", seq: 110))
        try inject(Uevent([
            "ACTION": "change", "DEVPATH": "/devices/vfio_ap/matrix", "SUBSYSTEM": "matrix",
            "MDEV_STATE": "registered", "DRIVER": "vfio_ap", "SEQNUM": "111",
        ]))
        try inject(KernelEvent.queue("remove", "04.0008", seq: 112))

        let lines = try await harness.waitForLiveLines(expected.count)
        try await Task.sleep(for: .milliseconds(50))
        let termination = try await harness.stop()
        let live = harness.liveLines.filter { $0.hasPrefix(#"{"type":"uevent""#) }
        #expect(live == expected.map { MonitorHarness.ueventLine(MonitorHarness.libudevView($0)) })
        #expect(!lines.contains { $0.contains("misc") })
        // libudev drops the kernel's trailing newline of APMASK; the hex digits survive.
        #expect(live.contains { $0.contains(#""APMASK":"\#(mask)""#) })
        // unbind carries no DRIVER, although libudev could have read one from the driver link.
        let unbind = try MonitorHarness.object(try #require(live.first { $0.contains(#""ACTION":"unbind""#) }))
        #expect((unbind["env"] as? [String: String])?["DRIVER"] == nil)
        #expect(termination == ChildProcess.Termination(status: 0, bySignal: false))
    }

    @Test("env values are escaped as JSON and keep their characters; libudev cuts a value at its first newline")
    func jsonEscaping() async throws {
        let harness = try await MonitorHarness()
        let tricky = "quote\" backslash\\ tab\t bell\u{07} escape\u{1B} unicode äöü € 🙂"
        try harness.injector.send(Uevent([
            "ACTION": "change", "DEVPATH": "/devices/ap/card04", "SUBSYSTEM": "ap", "SEQNUM": "5",
            "DEVTYPE": "ap_card", "X_TEXT": tricky, "X_LINES": "first\nsecond",
        ]))
        let lines = try await harness.waitForLiveLines(1)
        _ = try await harness.stop()
        let line = try #require(lines.first)
        #expect(!line.contains("\t") && !line.contains("\u{07}") && !line.contains("\u{1B}"))
        #expect(line.contains(#"\u001b"#))
        let env = try #require(try MonitorHarness.object(line)["env"] as? [String: String])
        #expect(env["X_TEXT"] == tricky)
        #expect(env["X_LINES"] == "first")
    }

    @Test("a burst of 10,000 events arrives complete and in order")
    func burstWithoutLoss() async throws {
        let harness = try await MonitorHarness()
        let count = 10_000
        let first: UInt64 = 1_000
        let events = (0..<count).map { index -> Uevent in
            let apqn = APQN(index: 0x0400 + index % 256 + (index / 256 % 2) * 0x100)
            let action = index % 2 == 0 ? "unbind" : "bind"
            return KernelEvent.queue(action, apqn.description, driver: action == "bind" ? "vfio_ap" : nil, seq: first + UInt64(index))
        }
        let start = ContinuousClock.now
        try harness.injector.send(events)
        let sent = ContinuousClock.now
        let lines = try await harness.waitForLiveLines(count, timeout: .seconds(60))
        let received = ContinuousClock.now
        _ = try await harness.stop()
        let seqnums = try lines.prefix(count).map { line -> UInt64 in
            let env = try #require(try MonitorHarness.object(line)["env"] as? [String: String])
            return try #require(env["SEQNUM"].flatMap { UInt64($0) })
        }
        #expect(seqnums == (0..<UInt64(count)).map { first + $0 })
        #expect(!lines.contains(#"{"type":"overflow"}"#))
        let seconds = Double((received - start).components.attoseconds) / 1e18 + Double((received - start).components.seconds)
        print("burst: \(count) events sent in \(sent - start), all received after \(received - start) (\(Int(Double(count) / seconds)) events/s)")
    }

    @Test("SIGTERM and SIGINT end the monitor with exit 0", arguments: [SIGTERM, SIGINT])
    func signalsExitZero(signal: Int32) async throws {
        let harness = try await MonitorHarness()
        let termination = try await harness.stop(signal: signal)
        #expect(termination == ChildProcess.Termination(status: 0, bySignal: false))
        #expect(harness.process.outputLines.last == #"{"type":"stopped","signal":\#(signal)}"#)
    }

    @Test("started with SIGTERM blocked (as Foundation.Process from a worker thread does), SIGTERM still ends it cleanly")
    func inheritedBlockedMask() async throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let executable = try BuiltExecutable.path(named: "aphotplug")
        let process = try ChildProcess.startedWithBlocked(signals: [SIGTERM, SIGINT]) {
            try ChildProcess.underUmockdev(executable: executable, arguments: ["monitor"], testbed: testbed)
        }
        _ = try await process.waitForLine(timeout: .seconds(20), "the ready line") { $0.hasPrefix(#"{"type":"ready""#) }
        process.send(signal: SIGTERM)
        let termination = try await process.waitForExit()
        #expect(termination == ChildProcess.Termination(status: 0, bySignal: false))
    }

    @Test("a listener that stops reading makes the bounded blocking send fail instead of hanging")
    func sendTimeoutWhenListenerStalls() async throws {
        let harness = try await MonitorHarness(sendTimeout: .milliseconds(300))
        harness.process.send(signal: SIGSTOP)
        defer { harness.process.send(signal: SIGCONT) }
        var sent = 0
        let error = #expect(throws: HarnessError.self) {
            for index in 0..<1_000 {
                try harness.injector.send(KernelEvent.queue("change", "04.0006", extra: ["CONFIG": "1"], seq: UInt64(index + 1)))
                sent += 1
            }
        }
        if case .sendTimedOut = error {} else { Issue.record("expected sendTimedOut, got \(String(describing: error))") }
        #expect(sent > 0 && sent < 1_000)
        harness.process.send(signal: SIGCONT)
        let lines = try await harness.waitForLiveLines(sent)
        #expect(lines.count >= sent)
        _ = try await harness.stop()
    }

    @Test("after the monitor exits, its stale socket refuses and is unlinked")
    func staleSocketRemoved() async throws {
        let harness = try await MonitorHarness()
        let sockets = harness.testbed.listenerSockets
        #expect(sockets.count == 1)
        _ = try await harness.stop()
        #expect(harness.testbed.listenerSockets == sockets)
        let delivered = try harness.injector.send(KernelEvent.queue("change", "04.0006", seq: 1))
        #expect(delivered == 0)
        #expect(harness.testbed.listenerSockets.isEmpty)
    }
}
