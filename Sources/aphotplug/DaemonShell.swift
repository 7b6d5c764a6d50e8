import APModel
import Agent
import Glibc
import HotplugEngine
import MetricsFile

/// Carries out what ``DaemonMachine`` decides: the one place where the daemon's
/// actions meet the engine (through ``DaemonCore``), the sysfs tree, systemd,
/// the log and the realizer. One consumer task owns it.
final class DaemonShell {
    typealias Machine = DaemonMachine<ContinuousClock.Instant>

    private var machine: Machine
    private var core: DaemonCore
    private let reporter: DecisionSink
    private let notifier: SystemdNotifier
    private let definitions: DefinitionSources?
    private let realizer: MatrixRealizer?
    private let assignments: AsyncStream<Decision>.Continuation
    private let metrics: DaemonMetrics?
    private let metricsFile: String?
    private let stateDirectory: String
    private let sysfsRoot: String
    /// When the coldplug scan began, for the metrics.
    private let coldplugStart: ContinuousClock.Instant
    /// Seconds since the epoch of the last uevent fed, for the metrics.
    private var lastUeventAt: Double?

    init(
        machine: Machine, core: DaemonCore, reporter: DecisionSink, notifier: SystemdNotifier, definitions: DefinitionSources?,
        realizer: MatrixRealizer?, assignments: AsyncStream<Decision>.Continuation, metricsFile: String?,
        stateDirectory: String, sysfsRoot: String, coldplugStart: ContinuousClock.Instant
    ) {
        self.machine = machine
        self.core = core
        self.reporter = reporter
        self.notifier = notifier
        self.definitions = definitions
        self.realizer = realizer
        self.assignments = assignments
        self.metrics = metricsFile.map { _ in DaemonMetrics() }
        self.metricsFile = metricsFile
        self.stateDirectory = stateDirectory
        self.sysfsRoot = sysfsRoot
        self.coldplugStart = coldplugStart
    }

    /// The coldplug scan answered with `decisions`.
    func coldplugScanned(_ decisions: [Decision]) { perform(machine.coldplugScanned(decisions)) }

    /// Hands `input` to the machine and carries out what it says; false once the daemon has stopped.
    func handle(_ input: DaemonInput) -> Bool {
        let now = ContinuousClock.now
        switch input {
        case .uevents(let uevents): perform(machine.ueventsReceived(uevents))
        case .eventsLost(let why): perform(machine.eventsLost(why, now: now))
        case .backlogDrained:
            metrics?.coldplugTook(seconds: Self.seconds(now - coldplugStart))
            perform(machine.backlogDrained(now: now))
        case .tick: perform(machine.tick(now: now))
        case .control(let datagram): perform(machine.controlReceived(datagram, now: now))
        case .signal(let signal): perform(machine.signalReceived(signal, now: now))
        case .realized(let decision, let outcome):
            realizer?.logWrites(of: outcome)
            let changed = realizer?.changedAssignment(outcome) ?? false
            perform(machine.realized(decision, outcome, changedAssignment: changed))
        }
        return !machine.isStopped
    }

    private func perform(_ actions: [Machine.Action]) {
        for action in actions { run(action) }
    }

    /// One action; the engine's answers go back to the machine and are carried out first.
    private func run(_ action: Machine.Action) {
        switch action {
        case .feed(let uevent):
            let decisions = core.uevent(uevent)
            if decisions != nil && metrics != nil { lastUeventAt = DaemonMetrics.now }
            perform(machine.fed(uevent, decisions: decisions, now: .now))
        case .guest(let record):
            perform(machine.decided(core.guest(record)))
        case .rescan(let reason):
            StandardStream.log("\(reason): rescanning \(sysfsRoot)")
            do {
                perform(machine.decided(try core.scan()))
            } catch {
                StandardStream.log("rescan failed: \(error); the model may be stale until the next event")
            }
        case .readDefinitions:
            guard let definitions else { return }
            perform(machine.decided(core.definitions(definitions.read(known: core.fedDefinitions))))
        case .readBack:
            perform(machine.decided(core.observe()))
        case .writeState:
            writeState()
        case .report(let decisions):
            reporter.report(decisions)
            metrics?.record(decisions)
        case .realize(let decision):
            assignments.yield(decision)
        case .notifyReady:
            let status = "following \(core.queueCount) queues, \(core.mdevCount) mdevs"
            do { try notifier.ready(status: status) } catch { StandardStream.log("sd_notify: \(error)") }
            StandardStream.log("ready: \(status)")
        case .pingWatchdog:
            try? notifier.watchdog()
        case .notifyStopping(let signal):
            try? notifier.stopping(status: "stopping on signal \(signal)")
        case .log(let line):
            StandardStream.log(line)
        case .stop:
            assignments.finish()
        }
    }

    private func writeState() {
        let rescans = core.scanCount - 1
        StateFile.write(
            core.engine.finalStateJSON, counters: StateFile.Counters(uevents: core.ueventCount, rescans: rescans), in: stateDirectory)
        guard let metrics, let metricsFile else { return }
        metrics.update(states: core.engine.mdevStates, uevents: core.ueventCount, rescans: rescans, lastUeventAt: lastUeventAt)
        if let error = metrics.write(to: metricsFile) {
            StandardStream.log("--metrics-file \(metricsFile): \(String(cString: strerror(error)))")
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
