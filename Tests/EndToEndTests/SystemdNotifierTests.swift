import Agent
import Foundation
import Glibc
import Testing

@Suite("SystemdNotifier: the sd_notify datagram protocol")
struct SystemdNotifierTests {
    @Test("unset or empty NOTIFY_SOCKET: disabled, every send is a no-op", arguments: [[:], ["NOTIFY_SOCKET": ""]])
    func disabled(environment: [String: String]) throws {
        let notifier = try SystemdNotifier(environment: environment)
        #expect(!notifier.isEnabled)
        #expect(notifier.address == nil)
        try notifier.ready(status: "ignored")
        try notifier.watchdog()
    }

    @Test("READY=1 with STATUS= reaches a path socket as one datagram")
    func readyToPathSocket() throws {
        let directory = try TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.path + "/notify")
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        #expect(notifier.address == .path(directory.path + "/notify"))
        try notifier.ready(status: "coldplug done: 3 mdevs")
        #expect(receiver.receive() == "READY=1\nSTATUS=coldplug done: 3 mdevs")
        #expect(!receiver.hasPending)
    }

    @Test("an @ address is an abstract socket")
    func abstractSocket() throws {
        let name = "aphotplug-test-\(UUID().uuidString)"
        let receiver = try DatagramReceiver(abstractName: name)
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])
        #expect(notifier.address == .abstract(name))
        try notifier.watchdog()
        #expect(receiver.receive() == "WATCHDOG=1")
    }

    @Test("STOPPING=1, STATUS= alone, MAINPID=, and newlines in STATUS become spaces")
    func otherStates() throws {
        let directory = try TemporaryDirectory()
        let receiver = try DatagramReceiver(path: directory.path + "/notify")
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        try notifier.stopping()
        #expect(receiver.receive() == "STOPPING=1")
        try notifier.status("line one\nline two")
        #expect(receiver.receive() == "STATUS=line one line two")
        try notifier.send([.reloading, .mainPID(42)])
        #expect(receiver.receive() == "RELOADING=1\nMAINPID=42")
        try notifier.send([])
        #expect(!receiver.hasPending)
    }

    @Test("addresses it cannot use are errors", arguments: ["vsock:2:1234", "run/notify", "@" + String(repeating: "x", count: 108)])
    func unusableAddresses(address: String) {
        let error = #expect(throws: SystemdNotifyError.self) {
            _ = try SystemdNotifier(environment: ["NOTIFY_SOCKET": address])
        }
        #expect(error?.code == (address.hasPrefix("@") ? .addressTooLong : .unsupportedAddress))
    }

    @Test("a path longer than sun_path is an error")
    func pathTooLong() {
        let error = #expect(throws: SystemdNotifyError.self) {
            _ = try SystemdNotifier(environment: ["NOTIFY_SOCKET": "/" + String(repeating: "p", count: 107)])
        }
        #expect(error?.code == .addressTooLong)
    }

    @Test("a manager that is gone is a sendFailed error with its errno, not a crash")
    func managerGone() throws {
        let directory = try TemporaryDirectory()
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": directory.path + "/missing"])
        let error = #expect(throws: SystemdNotifyError.self) { try notifier.ready() }
        #expect(error?.code == .sendFailed)
        #expect(error?.errno == ENOENT)

        // A socket file whose receiver closed: ECONNREFUSED.
        let receiver = try DatagramReceiver(path: directory.path + "/closed")
        receiver.closeKeepingFile()
        let closedNotifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": receiver.notifySocket])
        let refused = #expect(throws: SystemdNotifyError.self) { try closedNotifier.ready() }
        #expect(refused?.code == .sendFailed)
        #expect(refused?.errno == ECONNREFUSED)
    }
}

@Suite("SystemdWatchdog: WATCHDOG_USEC and WATCHDOG_PID")
struct SystemdWatchdogTests {
    @Test("a positive WATCHDOG_USEC for this process is the timeout")
    func enabled() {
        #expect(SystemdWatchdog.timeout(usec: "3000000", pid: nil, processID: 7) == .seconds(3))
        #expect(SystemdWatchdog.timeout(usec: "180000000", pid: "7", processID: 7) == .seconds(180))
        #expect(SystemdWatchdog.timeout(environment: ["WATCHDOG_USEC": "500", "WATCHDOG_PID": String(getpid())]) == .microseconds(500))
    }

    @Test("unset, zero, malformed or another process's watchdog is off",
          arguments: [(String?.none, String?.none), ("0", nil), ("abc", nil), ("-5", nil), ("1000", "8"), ("1000", "x"), ("", nil)])
    func disabled(usec: String?, pid: String?) {
        #expect(SystemdWatchdog.timeout(usec: usec, pid: pid, processID: 7) == nil)
    }
}
