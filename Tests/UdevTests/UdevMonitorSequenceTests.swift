import APModel
import Foundation
import Glibc
import Testing
@testable import Udev

/// The monitor over real netlink (`"kernel"` source, no umockdev), driven by synthetic
/// uevents on `/devices/virtual/mem/null`. Serialized: each test counts its own events.
@Suite(
    "UdevMonitorSequence over real netlink", .serialized, .timeLimit(.minutes(1)),
    .enabled(if: KernelUeventTrigger.isAvailable, Comment(rawValue: KernelUeventTrigger.unavailableReason ?? ""))
)
struct UdevMonitorSequenceTests {
    let tag = UUID()

    private func kernelMonitor(bufferSize: Int = UdevMonitorConfiguration.defaultReceiveBufferSize) async throws -> UdevMonitorSequence {
        try await UdevMonitorSequence(
            configuration: UdevMonitorConfiguration(
                source: .kernel, subsystems: [KernelUeventTrigger.subsystem], receiveBufferSize: bufferSize))
    }

    private func ours(_ events: [UdevMonitorEvent]) -> [Uevent] {
        let tag = tag.uuidString.lowercased()
        return events.compactMap(\.uevent).filter { $0["SYNTH_UUID"] == tag }
    }

    @Test("an event emitted before the first next() is received: the monitor is armed at init")
    func armedBeforeIteration() async throws {
        let monitor = try await kernelMonitor()
        try KernelUeventTrigger.emit(tag: tag, serial: 1)
        let recorder = MonitorRecorder(monitor)
        let events = await recorder.wait { ours($0).count >= 1 }
        await recorder.stop()
        let event = try #require(ours(events).first)
        #expect(event.action == "change")
        #expect(event.devpath == KernelUeventTrigger.devpath)
        #expect(event.subsystem == KernelUeventTrigger.subsystem)
        #expect(event.seqnum != nil)
        #expect(event["SYNTH_ARG_SERIAL"] == "1")
    }

    @Test("properties arrive in libudev's order, which libudev 252 sorts by key")
    func propertiesInLibudevOrder() async throws {
        let monitor = try await kernelMonitor()
        let recorder = MonitorRecorder(monitor)
        try KernelUeventTrigger.emit(tag: tag, serial: 2)
        let events = await recorder.wait { ours($0).count >= 1 }
        await recorder.stop()
        let event = try #require(ours(events).first)
        let keys = event.properties.map(\.key)
        #expect(keys == keys.sorted())
        #expect(Set(keys).isSuperset(of: ["ACTION", "DEVPATH", "SUBSYSTEM", "SEQNUM", "SYNTH_UUID", "SYNTH_ARG_SERIAL"]))
    }

    @Test("a burst arrives complete and in SEQNUM order")
    func burstInOrder() async throws {
        let monitor = try await kernelMonitor()
        let recorder = MonitorRecorder(monitor)
        for serial in 0..<500 { try KernelUeventTrigger.emit(tag: tag, serial: serial) }
        let events = await recorder.wait { ours($0).count >= 500 }
        await recorder.stop()
        let received = ours(events)
        #expect(received.compactMap { $0["SYNTH_ARG_SERIAL"] } == (0..<500).map(String.init))
        let seqnums = received.compactMap(\.seqnum)
        #expect(seqnums == seqnums.sorted())
        #expect(!events.contains(.overflow))
    }

    @Test("the subsystem filter drops events of other subsystems")
    func filterDropsOtherSubsystems() async throws {
        let monitor = try await UdevMonitorSequence(
            configuration: UdevMonitorConfiguration(source: .kernel, subsystems: [UdevSubsystem.ap]))
        let recorder = MonitorRecorder(monitor)
        try KernelUeventTrigger.emit(tag: tag, serial: 3)
        // Positive control on a second monitor: the event was emitted.
        let control = MonitorRecorder(try await kernelMonitor())
        try KernelUeventTrigger.emit(tag: tag, serial: 4)
        await control.wait { ours($0).count >= 1 }
        await control.stop()
        try await Task.sleep(for: .milliseconds(100))
        await recorder.stop()
        #expect(ours(control.events).count == 1)
        #expect(ours(recorder.events).isEmpty)
    }

    @Test("ENOBUFS becomes .overflow and the sequence goes on")
    func overflowThenContinue() async throws {
        let monitor = try await kernelMonitor(bufferSize: 1)
        for serial in 0..<300 { try KernelUeventTrigger.emit(tag: tag, serial: serial) }
        let recorder = MonitorRecorder(monitor)
        await recorder.wait { $0.contains(.overflow) }
        try await Task.sleep(for: .milliseconds(50))
        try KernelUeventTrigger.emit(tag: tag, serial: 1000)
        let events = await recorder.wait { ours($0).contains { $0["SYNTH_ARG_SERIAL"] == "1000" } }
        await recorder.stop()
        #expect(events.contains(.overflow))
        #expect(ours(events).count < 301)
        #expect(ours(events).last?["SYNTH_ARG_SERIAL"] == "1000")
    }

    @Test("nextAvailable drains the backlog without waiting, then reports nothing")
    func drainBacklog() async throws {
        let monitor = try await kernelMonitor()
        for serial in 0..<3 { try KernelUeventTrigger.emit(tag: tag, serial: serial) }
        var iterator = monitor.makeAsyncIterator()
        var backlog: [UdevMonitorEvent] = []
        while let event = iterator.nextAvailable() { backlog.append(event) }
        #expect(ours(backlog).compactMap { $0["SYNTH_ARG_SERIAL"] } == ["0", "1", "2"])
        #expect(iterator.nextAvailable() == nil)
        try KernelUeventTrigger.emit(tag: tag, serial: 3)
        var live: Uevent?
        while let event = await iterator.next() {
            if let uevent = event.uevent, ours([event]).count == 1 {
                live = uevent
                break
            }
        }
        #expect(live?["SYNTH_ARG_SERIAL"] == "3")
    }

    @Test("as root the 128 MiB buffer is granted (SO_RCVBUFFORCE), reported doubled")
    func receiveBufferGranted() async throws {
        let monitor = try await kernelMonitor()
        #expect(monitor.effectiveReceiveBufferSize == 2 * UdevMonitorConfiguration.defaultReceiveBufferSize)
    }
}

@Suite("UdevMonitorSequence without events")
struct UdevMonitorSequenceLifecycleTests {
    @Test("the monitor descriptor is non-blocking")
    func descriptorNonBlocking() throws {
        let handle = try UdevMonitorHandle(configuration: UdevMonitorConfiguration(source: .kernel))
        let flags = fcntl(handle.descriptor, F_GETFL)
        #expect(flags >= 0)
        #expect(flags & O_NONBLOCK != 0)
    }

    @Test("cancelling the iterating task ends the sequence with nil")
    func cancellationEnds() async throws {
        let monitor = try await UdevMonitorSequence(
            configuration: UdevMonitorConfiguration(source: .kernel, subsystems: ["aphotplug-test-none"]))
        let recorder = MonitorRecorder(monitor)
        try await Task.sleep(for: .milliseconds(20))
        #expect(!recorder.ended)
        await recorder.stop()
        #expect(recorder.ended)
        #expect(recorder.events.isEmpty)
    }

    @Test("source names round-trip", arguments: UdevMonitorConfiguration.Source.allCases)
    func sourceNames(source: UdevMonitorConfiguration.Source) {
        #expect(UdevMonitorConfiguration.Source(name: source.name) == source)
    }

    @Test("defaults: udev source, ap/matrix/mdev, 128 MiB")
    func defaults() {
        let configuration = UdevMonitorConfiguration()
        #expect(configuration.source == .udev)
        #expect(configuration.source.name == "udev")
        #expect(configuration.subsystems == ["ap", "matrix", "mdev"])
        #expect(configuration.receiveBufferSize == 134_217_728)
        #expect(UdevMonitorConfiguration.Source(name: "Kernel") == nil)
    }
}
