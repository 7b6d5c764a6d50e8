import APModel
import APTestSupport
import Agent
import MetricsFile
import HotplugEngine
import Testing

/// `daemon --metrics-file`: what node_exporter's textfile collector reads.
@Suite struct DaemonMetricsTests {
    static let a = MdevUUID("0b5e1c3a-1111-4c4c-8888-000000000001")!

    /// A host with A = 05,06 × 0004,00ab, 06.00ab unbound (adapter 06 withheld), guest vm1.
    static func engine() -> Engine {
        var engine = Engine()
        let host = HostSnapshot.passthroughHost(
            adapters: [5, 6], domains: [4, 0xab], unbound: ["06.00ab"],
            mdevs: [.init(uuid: a, assigned: APMatrix([5, 6], [4, 0xab]), guestMatrix: APMatrix([5], [4, 0xab]))])
        _ = engine.handle(.snapshot(host, guests: [a: "vm1"], position: 0))
        return engine
    }

    static func value(_ text: String, _ series: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func perMdevGaugesCountersAndTimesFollowPrometheusNaming() {
        var engine = Self.engine()
        let metrics = DaemonMetrics()
        metrics.record(engine.handle(.uevent(KernelEvent.queue("unbind", "05.0004", seq: 10), position: 1)) + engine.handle(.settled(position: 2)))
        metrics.coldplugTook(seconds: 0.25)
        metrics.update(states: engine.mdevStates, uevents: 7, rescans: 1, lastUeventAt: 1_700_000_000.5)
        let text = metrics.render()
        let labels = "{mdev=\"\(Self.a)\",guest=\"vm1\"}"
        #expect(Self.value(text, "aphotplug_apqns_assigned" + labels) == 4)
        #expect(Self.value(text, "aphotplug_apqns_in_guest" + labels) == 0, "\(text)")
        #expect(Self.value(text, "aphotplug_apqns_withheld" + labels) == 4, "05 and 06 are both kept out now")
        #expect(Self.value(text, "aphotplug_migration_blocked" + labels) == 1)
        #expect(Self.value(text, "aphotplug_decisions_total{kind=\"unplug-adapter\"}") == 1)
        #expect(Self.value(text, "aphotplug_decisions_total{kind=\"divergence\"}") == 0)
        #expect(Self.value(text, "aphotplug_uevents_total") == 7)
        #expect(Self.value(text, "aphotplug_rescans_total") == 1)
        #expect(Self.value(text, "aphotplug_last_uevent_timestamp_seconds") == 1_700_000_000.5)
        #expect(Self.value(text, "aphotplug_coldplug_duration_seconds") == 0.25)
        #expect(text.contains("# TYPE aphotplug_decisions_total counter"))
        #expect(text.contains("# TYPE aphotplug_apqns_in_guest gauge"))
        // Counters only grow, and a guest that goes leaves no stale series.
        _ = engine.handle(.guestDetached(Self.a, name: "vm1", position: 3))
        metrics.update(states: engine.mdevStates, uevents: 9, rescans: 1, lastUeventAt: nil)
        let later = metrics.render()
        #expect(Self.value(later, "aphotplug_uevents_total") == 9)
        #expect(Self.value(later, "aphotplug_migration_blocked" + labels) == nil)
        #expect(Self.value(later, "aphotplug_migration_blocked{mdev=\"\(Self.a)\",guest=\"\"}") == 0)
    }
}
