import APModel
import APTestSupport
import Agent
import Foundation
import HotplugEngine
import Sysfs
import Testing
import Trace

/// DaemonCore's filters in front of the engine: SEQNUM dedupe and the scan's uevent counter.
@Suite struct DaemonCoreTests {
    /// A host with queue 04.0006 bound to vfio_ap, and the kernel's uevent counter when given.
    static func core(in root: String, ueventCounter: String?) throws -> DaemonCore {
        try SysfsTreeWriter.write(.passthroughHost(adapters: [4], domains: [6]), to: root)
        if let ueventCounter {
            try FileManager.default.createDirectory(atPath: root + "/kernel", withIntermediateDirectories: true)
            try ueventCounter.write(toFile: root + "/kernel/uevent_seqnum", atomically: false, encoding: .utf8)
        }
        var core = DaemonCore(tree: try DirectorySysfsTree(root: root))
        _ = try core.scan()
        return core
    }

    @Test("uevents numbered up to the counter read before the scan are in the scan already: not fed")
    func eventsBeforeTheScanAreSkipped() throws {
        try withTemporaryDirectory { root in
            var core = try Self.core(in: root, ueventCounter: "500\n")
            // An unbind queued while the scan ran: the tree shows the queue bound again since.
            #expect(core.uevent(KernelEvent.queue("unbind", "04.0006", seq: 499)) == nil)
            #expect(core.uevent(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 500)) == nil)
            #expect(core.ueventCount == 0)
            let later = core.uevent(KernelEvent.queue("unbind", "04.0006", seq: 501))
            #expect(later != nil)
            #expect(later?.contains { $0.kind == .anomaly } == false)
            #expect(core.uevent(KernelEvent.queue("unbind", "04.0006", seq: 501)) == nil, "a SEQNUM is fed once")
            #expect(core.ueventCount == 1)
        }
    }

    @Test("without a uevent counter in the tree every new SEQNUM is fed")
    func noCounterNoFilter() throws {
        try withTemporaryDirectory { root in
            var core = try Self.core(in: root, ueventCounter: nil)
            #expect(core.uevent(KernelEvent.queue("unbind", "04.0006", seq: 10)) != nil)
            #expect(core.uevent(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 11)) != nil)
            #expect(core.ueventCount == 2)
        }
    }
}

/// DaemonCore's read-back protocol while the engine holds a scan.
@Suite struct DaemonCoreScanTests {
    @Test("with a scan open, the QCI masks are fed although unchanged, then settled, and both are recorded")
    func readBackEndsTheScan() throws {
        try withTemporaryDirectory { root in
            let collector = TraceRecordCollector()
            var core = try DaemonCoreTests.core(in: root, ueventCounter: nil)
            core.recorder = collector
            #expect(core.observe() == [])
            #expect(collector.records == [], "an idle read-back feeds nothing")
            #expect(core.uevent(KernelEvent.queue("unbind", "04.0006", seq: 10)) == [])
            #expect(core.engine.hasOpenScan)
            _ = core.observe()
            #expect(!core.engine.hasOpenScan)
            let kinds = collector.records.map { record -> String in
                switch record {
                case .observe(let path, _): return path
                case .settled: return "settled"
                case .uevent: return "uevent"
                case .snapshot, .guest, .definition, .apMaskRules: return "other"
                }
            }
            #expect(kinds == [
                "uevent", "/sys/bus/ap/ap_adapter_mask", "/sys/bus/ap/ap_control_domain_mask",
                "/sys/bus/ap/ap_usage_domain_mask", "settled",
            ])
        }
    }
}
