internal import Glibc
import APModel
import Agent
import HotplugEngine
import Prometheus

/// The daemon's picture for Prometheus, written through node_exporter's
/// textfile collector (`daemon --metrics-file`, atomically after each settled
/// burst and each poll): the convention for a root daemon without a network
/// port. swift-prometheus keeps the registry and writes the exposition format.
///
/// Per mdev (labels `mdev`, `guest`): `aphotplug_apqns_assigned`,
/// `aphotplug_apqns_in_guest`, `aphotplug_apqns_withheld`,
/// `aphotplug_migration_blocked` (0 or 1). Totals: `aphotplug_decisions_total`
/// by `kind`, `aphotplug_uevents_total`, `aphotplug_rescans_total`. Times, in
/// seconds since the epoch or seconds (base units):
/// `aphotplug_last_uevent_timestamp_seconds` (`time() - …` is the age of the
/// last event), `aphotplug_coldplug_duration_seconds`.
public final class DaemonMetrics {
    private let registry = PrometheusCollectorRegistry()
    private var decisions: [Decision.Kind: Counter] = [:]
    private let uevents: Counter
    private let rescans: Counter
    private let lastUevent: Gauge
    private let coldplug: Gauge
    private var perMdev: [String: [Gauge]] = [:]
    private var reportedRescans = 0
    private var reportedUevents = 0

    public init() {
        uevents = registry.makeCounter(
            descriptor: Self.name("uevents", unit: "total", help: "Uevents fed to the engine since the daemon started."))
        rescans = registry.makeCounter(descriptor: Self.name("rescans", unit: "total", help: "Sysfs rescans after lost events."))
        lastUevent = registry.makeGauge(
            descriptor: Self.name("last_uevent_timestamp", unit: "seconds", help: "When the last uevent was fed, in seconds since the epoch."))
        coldplug = registry.makeGauge(
            descriptor: Self.name("coldplug_duration", unit: "seconds", help: "How long the coldplug scan took until READY=1."))
        for kind in Decision.Kind.allCases {
            decisions[kind] = registry.makeCounter(
                descriptor: Self.name("decisions", unit: "total", help: "Decisions made, by kind."), labels: [("kind", kind.rawValue)])
        }
    }

    /// Counts decisions as they are reported.
    public func record(_ made: [Decision]) {
        for decision in made { decisions[decision.kind]?.increment() }
    }

    /// The coldplug took `seconds`.
    public func coldplugTook(seconds: Double) { coldplug.set(seconds) }

    /// Brings the per-mdev gauges and the counters up to date.
    ///
    /// - Parameters:
    ///   - states: the engine's mdevs (``Engine/mdevStates``).
    ///   - uevents: uevents fed since start; `rescans`: rescans after lost events.
    ///   - lastUeventAt: seconds since the epoch of the last uevent, if any.
    public func update(states: [MdevState], uevents count: Int, rescans rescanCount: Int, lastUeventAt: Double?) {
        if count > reportedUevents { uevents.increment(by: Int64(count - reportedUevents)) }
        reportedUevents = max(reportedUevents, count)
        if rescanCount > reportedRescans { rescans.increment(by: Int64(rescanCount - reportedRescans)) }
        reportedRescans = max(reportedRescans, rescanCount)
        if let lastUeventAt { lastUevent.set(lastUeventAt) }
        var seen: Set<String> = []
        for state in states {
            let guest = state.guest ?? ""
            let key = state.uuid.description + "\u{0}" + guest
            seen.insert(key)
            let gauges = perMdev[key] ?? makeGauges(mdev: state.uuid.description, guest: guest)
            perMdev[key] = gauges
            let inGuest = APMatrix(adapters: state.shadow.adapters, domains: state.shadow.domains).apqns.count
            gauges[0].set(Int64(APMatrix(adapters: state.assigned.adapters, domains: state.assigned.domains).apqns.count))
            gauges[1].set(Int64(inGuest))
            gauges[2].set(Int64(state.withheldAPQNs))
            gauges[3].set(Int64(state.blocksMigration ? 1 : 0))
        }
        // An mdev that went, or whose guest changed, leaves no stale series behind.
        for (key, gauges) in perMdev where !seen.contains(key) {
            for gauge in gauges { registry.unregisterGauge(gauge) }
            perMdev[key] = nil
        }
    }

    /// The exposition text (Prometheus text format 0.0.4).
    public func render() -> String { registry.emitToString() }

    /// Replaces `path` with ``render()`` atomically (node_exporter never reads half a
    /// file); returns the errno on failure.
    @discardableResult
    public func write(to path: String) -> Int32? {
        AtomicFile.replace(path, with: registry.emitToBuffer(), mode: 0o644)
    }

    /// Seconds since the epoch, now.
    public static var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private func makeGauges(mdev: String, guest: String) -> [Gauge] {
        let labels = [("mdev", mdev), ("guest", guest)]
        let names = [
            Self.name("apqns_assigned", help: "APQNs assigned to the mdev."),
            Self.name("apqns_in_guest", help: "APQNs in the mdev's guest configuration."),
            Self.name(
                "apqns_withheld",
                help: "APQNs of assigned adapters the kernel keeps out until all their queues are bound to vfio_ap."),
            Self.name("migration_blocked", help: "1 when a guest holds the mdev and cannot be live-migrated."),
        ]
        return names.map { registry.makeGauge(descriptor: $0, labels: labels) }
    }

    /// `aphotplug_<metric>[_<unit>]`: a count has no unit suffix.
    private static func name(_ metric: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "aphotplug", metricName: metric, unitName: unit, helpText: help)
    }
}
