import APModel
import Agent
import MetricsFile
import ArgumentParser
import Foundation
import Glibc
import HotplugEngine
import Sysfs
import Trace
import Udev

/// The options `aphotplug daemon` and `aphotplug record` share.
struct DaemonOptions: ParsableArguments {
    enum SourceOption: String, ExpressibleByArgument, CaseIterable {
        case udev, kernel
        var source: UdevMonitorConfiguration.Source { self == .udev ? .udev : .kernel }
    }

    enum LogTargetOption: String, ExpressibleByArgument, CaseIterable {
        case json, text, journal
    }

    @Option(help: ArgumentHelp("The sysfs tree to follow.", valueName: "dir"))
    var sysfsRoot = "/sys"

    @Option(help: ArgumentHelp("Where state.json and control.sock live (created when missing).", valueName: "dir"))
    var stateDir = "/run/aphotplug"

    @Option(help: """
        Where decisions go: json or text lines on standard output, or journal (structured fields). \
        Default: journal under systemd (JOURNAL_STREAM set), else json.
        """)
    var logTarget: LogTargetOption?

    /// `--log-target`, or its default for this environment.
    var effectiveLogTarget: LogTargetOption {
        if let logTarget { return logTarget }
        let journalStream = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] ?? ""
        return journalStream.isEmpty ? .json : .journal
    }

    @Option(help: ArgumentHelp("journald's native socket, for --log-target journal.", visibility: .hidden))
    var journalSocket = JournalReporter.defaultSocket

    @Option(help: ArgumentHelp("Seconds between read-backs of every mdev's matrix, guest_matrix and control_domains.", valueName: "seconds"))
    var pollInterval: Double = 5

    @Option(help: "Netlink source: udev (events after udev rules ran) or kernel (raw kernel uevents).")
    var source: SourceOption = .udev

    @Option(help: ArgumentHelp(
        "Write Prometheus metrics to this file after every settled burst and poll (for node_exporter's textfile collector, e.g. /var/lib/prometheus/node-exporter/aphotplug.prom).",
        valueName: "file"))
    var metricsFile: String?

    @OptionGroup var realizer: RealizerOptions

    @Option(help: ArgumentHelp("Receive buffer size of the monitor socket in bytes.", visibility: .hidden))
    var receiveBuffer: Int = UdevMonitorConfiguration.defaultReceiveBufferSize

    func validate() throws {
        _ = try pollDuration()
    }

    /// `--poll-interval` as a Duration (at least 1 ms: 0 would poll without pause).
    func pollDuration() throws -> Duration {
        try SecondsOption.duration(pollInterval, option: "--poll-interval", minimum: 0.001)
    }
}

/// `aphotplug daemon`: follows the host's AP devices and reports decisions.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Follow AP and vfio_ap uevents and report plugs, unplugs and migration blockers.",
        discussion: """
            Arms a libudev monitor (ap, matrix, mdev), reads the sysfs tree (coldplug), drains what \
            arrived meanwhile, then reports sd_notify READY=1 (when NOTIFY_SOCKET is set) and follows \
            live uevents. After each burst settles (100 ms quiet) and every --poll-interval it reads back \
            every mdev's matrix, guest_matrix and control_domains and the host configuration masks. \
            Lost events (ENOBUFS, a COMPLETECOUNT gap, a SEQNUM gap inside a settled AP bus burst) cause a \
            rescan and a resync decision.

            With --mode enforce the daemon also reads mdevctl's definitions (<mdevctl-dir>/matrix/<uuid>, \
            at startup and with every read-back) and assigns the desired adapters, domains and control \
            domains that the kernel accepts, as soon as it accepts them: never an APQN that apmask/aqmask \
            reserve for the host or that another mdev holds (those are reported as conflict decisions). It \
            writes ap_config when the matrix device's features list it, else assign_* attributes, holding \
            s390-tools' /run/lock/s390apconfig.lock, and reads the assignment back. --mode dry-run reports \
            the same writes on standard error without making them.

            Decisions go to standard output (--log-target json|text) or to journald with MESSAGE_ID and \
            APHOTPLUG_* fields (--log-target journal). <state-dir>/state.json holds the \
            current model (aphotplug status); <state-dir>/control.sock (mode 0600) receives guest \
            notifications (aphotplug guest, aphotplug hook libvirt) and the uevents aphotplug handle forwards \
            (an event heard both there and from the monitor counts once, by SEQNUM); only root and the \
            daemon's own user are heard there. The state directory must be the daemon user's and writable \
            by nobody else (else exit 73); while another daemon answers on its control.sock, this one \
            exits 69 and leaves the socket alone. SIGTERM or SIGINT stop it with exit 0.
            """
    )

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        ProcessSignalMask.unblockAll()
        try await DaemonRunner(options: options, recordPath: nil).run()
    }
}

/// What the consumer task receives, in arrival order.
enum DaemonInput: Sendable {
    /// Uevents in the order received: what the monitor had ready at once, up to
    /// ``batchLimit`` (one hand-over, and one wake-up of the consumer, per batch).
    case uevents([Uevent])
    /// Events were lost (why, for the log): rescan.
    case eventsLost(String)
    /// Everything queued during the coldplug scan has been read.
    case backlogDrained
    case tick
    case control(ControlSocket.Datagram)
    case signal(Int32)
    /// The realizer carried out (or failed to carry out) an assign decision.
    case realized(Decision, MatrixRealizer.Outcome)
}

/// The daemon's wiring: producers push ``DaemonInput``s into one stream, one consumer
/// (this task) owns the engine through ``DaemonCore``.
struct DaemonRunner {
    let options: DaemonOptions
    /// `aphotplug record --output`: every fed event is also written there as a trace record.
    let recordPath: String?

    static let settleDelay: Duration = .milliseconds(100)
    /// Monitor inputs handed to the consumer and not yet handled, at most (with
    /// ``DaemonInput/batchLimit``: 512 uevents).
    static let monitorBacklogLimit = 8

    func run() async throws {
        let signals = await UnixSignalSequence(trapping: [SIGTERM, SIGINT])
        let notifier: SystemdNotifier
        do {
            notifier = try SystemdNotifier.fromProcessEnvironment()
        } catch {
            StandardStream.log("NOTIFY_SOCKET: \(error); not notifying systemd")
            notifier = try SystemdNotifier(environment: [:])
        }
        let reporter = DecisionSink(target: options.effectiveLogTarget, journalSocket: options.journalSocket)
        var recorder: TraceRecordFile?
        if let recordPath {
            guard let file = TraceRecordFile(path: recordPath) else {
                throw CommandExit.failure(.cannotCreate, "\(recordPath): cannot create the trace file: \(String(cString: strerror(errno)))")
            }
            recorder = file
        }

        let problem = StateFile.prepareDirectory(options.stateDir)
        switch problem {
        case nil: break
        case .unusable(let path, let code)?:
            StandardStream.log("--state-dir \(path): \(String(cString: strerror(code))); no state file, no control socket")
        case .notADirectory?, .foreignOwner?, .writableByOthers?:
            // Root would write its state, lock and socket where others can plant links.
            throw CommandExit.failure(.cannotCreate, "--state-dir: \(problem.map(String.init(describing:)) ?? "")")
        }
        var control: ControlSocket?
        do {
            control = try await ControlSocket(stateDirectory: options.stateDir)
        } catch where error.isInUse {
            // Replacing its socket would leave the running daemon deaf.
            throw CommandExit.failure(.unavailable, "control socket: \(error)")
        } catch {
            StandardStream.log("control socket: \(error); guest notifications cannot be received")
        }
        // aphotplug handle's saved engine would fall behind while the daemon handles the events
        // (only now: a daemon refused above leaves the running one's directory alone).
        EngineStateFile.discard(in: options.stateDir)

        let monitor: UdevMonitorSequence
        do {
            monitor = try await UdevMonitorSequence(configuration: UdevMonitorConfiguration(
                source: options.source.source, subsystems: UdevSubsystem.hotplugRelevant,
                receiveBufferSize: options.receiveBuffer))
        } catch {
            throw CommandExit.failure(.unavailable, "cannot arm the udev monitor: \(error)")
        }

        let tree: DirectorySysfsTree
        do {
            tree = try DirectorySysfsTree(root: options.sysfsRoot)
        } catch {
            throw CommandExit.failure(.noInput, "--sysfs-root \(options.sysfsRoot): \(error)")
        }
        var core = DaemonCore(tree: tree, recorder: recorder)
        let definitions = options.realizer.definitions
        let realizer: MatrixRealizer?
        do {
            // Waiting about 100 s for the lock, as s390-tools does, in the realizer's own task.
            realizer = try options.realizer.realizer(
                tree: tree, sysfsRoot: options.sysfsRoot, lockRetries: S390APConfigLock.defaultRetries)
        } catch {
            throw CommandExit.failure(.noInput, "--sysfs-root \(options.sysfsRoot): \(error)")
        }
        // The realizer works in its own task, one decision at a time, so that waiting for
        // s390apconfig.lock (up to ~100 s, as s390-tools waits) never stalls the event loop.
        let (assignments, assignmentQueue) = AsyncStream<Decision>.makeStream()
        /// Assignments not written because the lock stayed busy; queued again at the next read-back.
        var lockedOut: [Decision] = []
        /// Reports decisions and queues the assignments among them for the realizer.
        let metrics = options.metricsFile.map { _ in DaemonMetrics() }
        let coldplugStart = ContinuousClock.now
        var lastUeventAt: Double?
        func handle(_ decisions: [Decision]) {
            reporter.report(decisions)
            metrics?.record(decisions)
            guard realizer != nil else { return }
            for decision in decisions where decision.kind == .assign { assignmentQueue.yield(decision) }
        }
        do {
            // A restarted daemon (Restart=on-failure keeps /run/aphotplug) takes back the names of guests still running.
            handle(try core.scan(restoredGuests: StateFile.guestNames(in: options.stateDir)))
        } catch {
            throw CommandExit.failure(.noInput, "coldplug of \(options.sysfsRoot): \(error)")
        }
        if let definitions { handle(core.definitions(definitions.read(known: core.fedDefinitions))) }

        let (inputs, continuation) = AsyncStream<DaemonInput>.makeStream()
        var producers: [Task<Void, Never>] = []
        // Monitor inputs (uevent batches, lost events) the consumer has not handled yet:
        // beyond these, a burst waits in the socket's receive buffer, not in our memory.
        let monitorBacklog = InFlightLimit(limit: Self.monitorBacklogLimit)
        producers.append(Task {
            var iterator = monitor.makeAsyncIterator()
            func handOver(_ first: UdevMonitorEvent) async {
                for input in DaemonInput.received(first, from: &iterator) {
                    await monitorBacklog.acquire()
                    continuation.yield(input)
                }
            }
            while let event = iterator.nextAvailable() { await handOver(event) }
            continuation.yield(.backlogDrained)
            while let event = await iterator.next() { await handOver(event) }
        })
        producers.append(Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.settleDelay)
                continuation.yield(.tick)
            }
        })
        if let control {
            producers.append(Task {
                for await message in control.messages { continuation.yield(.control(message)) }
            })
        }
        producers.append(Task {
            for await signal in signals { continuation.yield(.signal(signal)) }
        })
        if let realizer {
            producers.append(Task {
                for await decision in assignments {
                    continuation.yield(.realized(decision, await realizer.realize(decision)))
                }
            })
        }
        // WATCHDOG=1 comes from the consumer's own ticks, so a stuck consumer stops the pings.
        let watchdogInterval = notifier.isEnabled ? SystemdWatchdog.timeoutFromProcessEnvironment().map { $0 / 2 } : nil
        var lastPing = ContinuousClock.now

        let pollInterval = try options.pollDuration()
        var unsettled = false
        var gaps = SeqnumGapDetector()
        var lastEvent = ContinuousClock.now
        var lastRead = ContinuousClock.now

        func settle() {
            if let gap = gaps.settle() { rescan(gap.description + " (udevd or the kernel dropped them?)") }
            if let definitions {
                for decision in lockedOut { assignmentQueue.yield(decision) }
                lockedOut = []
                handle(core.definitions(definitions.read(known: core.fedDefinitions)))
            }
            handle(core.observe())
            StateFile.write(
                core.engine.finalStateJSON,
                counters: StateFile.Counters(uevents: core.ueventCount, rescans: core.scanCount - 1), in: options.stateDir)
            if let metrics, let path = options.metricsFile {
                metrics.update(states: core.engine.mdevStates, uevents: core.ueventCount, rescans: core.scanCount - 1, lastUeventAt: lastUeventAt)
                if let error = metrics.write(to: path) {
                    StandardStream.log("--metrics-file \(path): \(String(cString: strerror(error)))")
                }
            }
            unsettled = false
            lastRead = .now
        }
        /// A uevent from the monitor or forwarded by `aphotplug handle`; the second of the two is ignored.
        func feed(_ uevent: Uevent) {
            gaps.record(uevent)
            guard let decisions = core.uevent(uevent) else { return }
            lastUeventAt = DaemonMetrics.now
            handle(decisions)
            unsettled = true
            lastEvent = .now
            if decisions.contains(where: { $0.kind == .resync }) { rescan("events were lost") }
        }
        func rescan(_ why: String) {
            StandardStream.log("\(why): rescanning \(options.sysfsRoot)")
            gaps = SeqnumGapDetector()
            do {
                handle(try core.scan())
            } catch {
                StandardStream.log("rescan failed: \(error); the model may be stale until the next event")
            }
            unsettled = true
            lastEvent = .now
        }

        inputLoop: for await input in inputs {
            switch input {
            case .uevents(let uevents):
                monitorBacklog.release()
                for uevent in uevents { feed(uevent) }
            case .eventsLost(let why):
                monitorBacklog.release()
                rescan(why)
            case .backlogDrained:
                let coldplug = (ContinuousClock.now - coldplugStart).components
                metrics?.coldplugTook(seconds: Double(coldplug.seconds) + Double(coldplug.attoseconds) / 1e18)
                settle()
                let status = "following \(core.queueCount) queues, \(core.mdevCount) mdevs"
                do { try notifier.ready(status: status) } catch { StandardStream.log("sd_notify: \(error)") }
                StandardStream.log("ready: \(status)")
            case .tick:
                let now = ContinuousClock.now
                if let watchdogInterval, now - lastPing >= watchdogInterval {
                    try? notifier.watchdog()
                    lastPing = now
                }
                if unsettled ? now - lastEvent >= Self.settleDelay : now - lastRead >= pollInterval { settle() }
            case .realized(let decision, let outcome):
                realizer?.logWrites(of: outcome)
                if let failure = outcome.failure { reporter.report([failure]) }
                if outcome.lockWasBusy { lockedOut.append(decision) }
                if realizer?.changedAssignment(outcome) == true { handle(core.observe()) }
            case .control(.refused(let reason)):
                StandardStream.log("control socket: \(reason)")
            case .control(.message(let message)):
                switch ControlMessage(parsing: message) {
                case .guest(let record)?:
                    handle(core.guest(record))
                    unsettled = true
                    lastEvent = .now
                case .uevent(let uevent)?:
                    feed(uevent)
                case nil:
                    StandardStream.log("control socket: ignored a message that is not a guest or uevent record: \(message.prefix(200))")
                }
            case .signal(let signal):
                try? notifier.stopping(status: "stopping on signal \(signal)")
                settle()
                StandardStream.log("stopped by signal \(signal)")
                break inputLoop
            }
        }
        assignmentQueue.finish()
        for producer in producers { producer.cancel() }
        control?.close()
        recorder?.close()
    }
}

/// The trace file `aphotplug record` writes as it goes: each record is appended
/// with one `write(2)` as it is fed, and a snapshot streams in 64 KiB pieces while
/// the scan reads the tree (``SnapshotLineWriter``), so a crash loses at most
/// the record being written and the file is valid JSON Lines up to there. A
/// snapshot whose scan failed is cut off again (`ftruncate`).
final class TraceRecordFile: TraceRecorder {
    private var descriptor: Int32
    private var snapshot: SnapshotLineWriter?
    /// Where the snapshot being written began.
    private var snapshotStart: off_t = 0
    /// The directory of the trace, for the links' temporary file.
    private let directory: String
    /// The (unlinked) temporary file of the snapshot's links, or -1.
    private var links: Int32 = -1

    init?(path: String) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 { return nil }
        let slash = path.lastIndex(of: "/")
        directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    func record(_ record: TraceRecord) {
        guard descriptor >= 0 else { return }
        StandardStream.write(JSONLinesWriter.line(record), to: descriptor)
    }

    func snapshotRead(_ read: RecordingSysfsTree<DirectorySysfsTree>.Read) {
        guard descriptor >= 0 else { return }
        beginSnapshot()
        switch read {
        case .file(let path, let value): snapshot?.file(path, value)
        case .link(let path, let target): snapshot?.link(path, target)
        }
    }

    func endSnapshot() {
        guard descriptor >= 0 else { return }
        beginSnapshot()
        let links = links
        let descriptor = descriptor
        snapshot?.finish {
            // The links spilled to the unnamed temporary file, copied in behind the files.
            guard links >= 0, lseek(links, 0, SEEK_SET) == 0 else { return }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(links, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                StandardStream.write(String(decoding: chunk[..<count], as: UTF8.self), to: descriptor)
            }
        }
        endLinks()
        snapshot = nil
    }

    private func beginSnapshot() {
        guard snapshot == nil else { return }
        snapshotStart = lseek(descriptor, 0, SEEK_CUR)
        let descriptor = descriptor
        // A file next to the trace, unlinked at once, holds the links until the files are written.
        var template = Array((directory + "/.aphotplug-links.XXXXXX").utf8CString)
        links = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if links >= 0 { _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) } }
        let links = links
        snapshot = SnapshotLineWriter(
            emit: { StandardStream.write(String(decoding: $0, as: UTF8.self), to: descriptor) },
            spill: { bytes in
                if links >= 0 { StandardStream.write(String(decoding: bytes, as: UTF8.self), to: links) }
            })
    }

    private func endLinks() {
        if links >= 0 { Glibc.close(links) }
        links = -1
    }

    func abandonSnapshot() {
        guard snapshot != nil else { return }
        snapshot = nil
        endLinks()
        if snapshotStart >= 0, ftruncate(descriptor, snapshotStart) == 0 { lseek(descriptor, snapshotStart, SEEK_SET) }
    }

    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }
}

/// Routes decisions to the chosen log target. When journald cannot be reached, the
/// decisions go to standard output as JSON lines instead (said once on standard error).
final class DecisionSink {
    private let lines: DecisionReporter
    private var journal: JournalReporter?

    init(target: DaemonOptions.LogTargetOption, journalSocket: String) {
        switch target {
        case .json, .journal: lines = DecisionReporter(target: .json)
        case .text: lines = DecisionReporter(target: .text)
        }
        journal = target == .journal ? JournalReporter(socketPath: journalSocket) : nil
    }

    func report(_ decisions: [Decision]) {
        if let journal {
            guard let error = journal.report(decisions) else { return }
            StandardStream.log("journal \(journal.socketPath): \(String(cString: strerror(error))); reporting JSON lines on standard output instead")
            self.journal = nil
        }
        lines.report(decisions)
    }
}
