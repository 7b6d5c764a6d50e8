import APModel
import HotplugEngine

/// The daemon's control flow, without IO and without a clock: when a burst has
/// settled, when to poll, when to rescan after lost events, when to ping the
/// watchdog, when to say READY=1, which assignments to hand to the realizer and
/// which to retry once s390apconfig.lock is free again.
///
/// Inputs are named for what happened and carry the time (`now`), from whatever
/// clock the caller injects (the daemon: `ContinuousClock`; tests: a test clock).
/// Each returns the ``Action``s the shell carries out in order, one `switch`
/// in `DaemonShell`. Actions that ask the engine something (``Action/feed(_:)``,
/// ``Action/guest(_:)``, ``Action/rescan(reason:)``, ``Action/readDefinitions``,
/// ``Action/readBack``) come back as ``fed(_:decisions:now:)`` and
/// ``decided(_:)``, whose actions the shell carries out before going on
/// (depth first), so a rescan in the middle of a batch comes before the rest of it.
public struct DaemonMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration, Instant: Sendable {
    /// Timings and what the daemon was asked to do.
    public struct Configuration: Sendable, Hashable {
        /// Quiet time after the last event before a burst counts as settled.
        public var settleDelay: Duration
        /// Read-back interval while nothing happens (`--poll-interval`).
        public var pollInterval: Duration
        /// How often to send WATCHDOG=1 (half of `WATCHDOG_USEC`); nil: never.
        public var watchdogInterval: Duration?
        /// Whether assignments go to a realizer (`--mode enforce` or `dry-run`).
        public var realizing: Bool

        public init(settleDelay: Duration, pollInterval: Duration, watchdogInterval: Duration?, realizing: Bool) {
            self.settleDelay = settleDelay
            self.pollInterval = pollInterval
            self.watchdogInterval = watchdogInterval
            self.realizing = realizing
        }
    }

    /// What the shell does, in the order given.
    public enum Action: Equatable, Sendable {
        /// Feed the uevent to the engine (``DaemonCore/uevent(_:)``); answer with ``fed(_:decisions:now:)``.
        case feed(Uevent)
        /// Feed the guest notification (``DaemonCore/guest(_:)``); answer with ``decided(_:)``.
        case guest(GuestRecord)
        /// Log why, scan the sysfs tree again (``DaemonCore/scan(guests:restoredGuests:)``); answer with ``decided(_:)``.
        case rescan(reason: String)
        /// Read mdevctl's definitions, if the daemon enforces them; answer with ``decided(_:)``.
        case readDefinitions
        /// Read back every mdev's matrices and the host masks (``DaemonCore/observe(only:)``); answer with ``decided(_:)``.
        case readBack
        /// Write state.json (and the metrics file, if any).
        case writeState
        /// Report these decisions (log target, metrics).
        case report([Decision])
        /// Hand this `assign` decision to the realizer; its outcome comes back as ``realized(_:_:changedAssignment:)``.
        case realize(Decision)
        /// sd_notify READY=1: the coldplug scan and the events queued meanwhile are handled.
        case notifyReady
        /// sd_notify WATCHDOG=1.
        case pingWatchdog
        /// sd_notify STOPPING=1, naming the signal.
        case notifyStopping(signal: Int32)
        /// A line for standard error.
        case log(String)
        /// Leave the input loop: close the sockets, end the realizer.
        case stop
    }

    /// Where the daemon is.
    private enum Phase: Sendable {
        /// Coldplug done, the events queued during it are being read. Ticks ping
        /// the watchdog but do not settle. Valid transitions: to `following` when
        /// the backlog is drained, to `stopped` on a signal.
        case draining
        /// READY=1 was sent; events are followed live. Valid transition: to `stopped` on a signal.
        case following
        /// A signal ended the daemon; every later input is ignored. No transitions.
        case stopped
    }

    private let configuration: Configuration
    private var phase = Phase.draining
    /// Events were handled since the last settle.
    private var unsettled = false
    private var lastEvent: Instant
    private var lastRead: Instant
    private var lastPing: Instant
    private var gaps = SeqnumGapDetector()
    /// Assignments not written because the lock stayed busy; handed over again at the next settle.
    private var lockedOut: [Decision] = []

    /// A machine whose coldplug scan finished at `start`.
    public init(configuration: Configuration, start: Instant) {
        self.configuration = configuration
        lastEvent = start
        lastRead = start
        lastPing = start
    }

    /// Whether the daemon has stopped.
    public var isStopped: Bool {
        switch phase {
        case .draining, .following: return false
        case .stopped: return true
        }
    }

    // MARK: Inputs

    /// The coldplug scan answered with `decisions`: report them, then read the definitions.
    public func coldplugScanned(_ decisions: [Decision]) -> [Action] {
        decided(decisions) + [.readDefinitions]
    }

    /// The monitor handed over uevents, in arrival order.
    public mutating func ueventsReceived(_ uevents: [Uevent]) -> [Action] {
        guard !isStopped else { return [] }
        return uevents.map { .feed($0) }
    }

    /// The monitor lost events (receive buffer overrun).
    public mutating func eventsLost(_ why: String, now: Instant) -> [Action] {
        guard !isStopped else { return [] }
        return rescan(why, now: now)
    }

    /// Every event queued during the coldplug scan has been read.
    public mutating func backlogDrained(now: Instant) -> [Action] {
        switch phase {
        case .draining:
            phase = .following
            return settle(now: now) + [.notifyReady]
        case .following, .stopped:
            return []
        }
    }

    /// Time passed (the shell ticks every ``Configuration/settleDelay``).
    public mutating func tick(now: Instant) -> [Action] {
        var actions: [Action] = []
        switch phase {
        case .stopped: return []
        case .draining, .following: break
        }
        if let interval = configuration.watchdogInterval, lastPing.duration(to: now) >= interval {
            actions.append(.pingWatchdog)
            lastPing = now
        }
        switch phase {
        case .draining, .stopped: return actions
        case .following: break
        }
        let due = unsettled
            ? lastEvent.duration(to: now) >= configuration.settleDelay
            : lastRead.duration(to: now) >= configuration.pollInterval
        return due ? actions + settle(now: now) : actions
    }

    /// A datagram arrived on the control socket.
    public mutating func controlReceived(_ datagram: ControlSocket.Datagram, now: Instant) -> [Action] {
        guard !isStopped else { return [] }
        switch datagram {
        case .refused(let reason):
            return [.log("control socket: \(reason)")]
        case .message(let text):
            switch ControlMessage(parsing: text) {
            case .guest(let record)?:
                eventHandled(now: now)
                return [.guest(record)]
            case .uevent(let uevent)?:
                return [.feed(uevent)]
            case nil:
                return [.log("control socket: ignored a message that is not a guest or uevent record: \(text.prefix(200))")]
            }
        }
    }

    /// SIGTERM or SIGINT: settle once more, then stop.
    public mutating func signalReceived(_ signal: Int32, now: Instant) -> [Action] {
        guard !isStopped else { return [] }
        let actions = [Action.notifyStopping(signal: signal)] + settle(now: now) + [.log("stopped by signal \(signal)"), .stop]
        phase = .stopped
        return actions
    }

    /// The engine was fed `uevent` (``Action/feed(_:)``): nil when it had
    /// already handled it (heard both from the monitor and from `aphotplug handle`).
    public mutating func fed(_ uevent: Uevent, decisions: [Decision]?, now: Instant) -> [Action] {
        gaps.record(uevent)
        guard let decisions else { return [] }
        eventHandled(now: now)
        var actions = decided(decisions)
        if decisions.contains(where: { $0.kind == .resync }) { actions += rescan("events were lost", now: now) }
        return actions
    }

    /// The engine answered a guest notification, a scan, a definitions read or a read-back.
    public func decided(_ decisions: [Decision]) -> [Action] {
        guard !decisions.isEmpty else { return [] }
        guard configuration.realizing else { return [.report(decisions)] }
        return [.report(decisions)] + decisions.filter { $0.kind == .assign }.map { .realize($0) }
    }

    /// The realizer carried out (or could not carry out) an assignment.
    /// `changedAssignment`: it wrote to sysfs (enforce mode), so the matrices are read back at once.
    public mutating func realized(_ decision: Decision, _ outcome: MatrixRealizer.Outcome, changedAssignment: Bool) -> [Action] {
        var actions: [Action] = []
        if let failure = outcome.failure { actions.append(.report([failure])) }
        if outcome.lockWasBusy { lockedOut.append(decision) }
        if changedAssignment { actions.append(.readBack) }
        return actions
    }

    // MARK: Steps

    private mutating func eventHandled(now: Instant) {
        unsettled = true
        lastEvent = now
    }

    private mutating func rescan(_ why: String, now: Instant) -> [Action] {
        gaps = SeqnumGapDetector()
        eventHandled(now: now)
        return [.rescan(reason: why)]
    }

    /// After a burst (or a poll interval): a SEQNUM gap inside the burst means
    /// lost events, so rescan; hand locked-out assignments over again; read
    /// definitions and matrices back; write the state.
    private mutating func settle(now: Instant) -> [Action] {
        var actions: [Action] = []
        if let gap = gaps.settle() { actions += rescan(gap.description + " (udevd or the kernel dropped them?)", now: now) }
        actions += lockedOut.map { .realize($0) }
        lockedOut = []
        actions += [.readDefinitions, .readBack, .writeState]
        unsettled = false
        lastRead = now
        return actions
    }
}
