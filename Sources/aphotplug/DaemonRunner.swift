import APModel
import Agent
import Glibc
import HotplugEngine
import Sysfs
import Udev

/// The daemon's wiring: sets up the sockets, the monitor and the coldplug scan,
/// then producers push ``DaemonInput``s into one stream and one consumer (this
/// task) hands them to the ``DaemonShell``, which owns the engine.
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
                source: options.source, subsystems: UdevSubsystem.hotplugRelevant,
                receiveBufferSize: options.receiveBuffer))
        } catch {
            throw CommandExit.failure(.unavailable, "cannot arm the udev monitor: \(error)")
        }

        let tree: DirectorySysfsTree
        let realizer: MatrixRealizer?
        do {
            tree = try DirectorySysfsTree(root: options.sysfsRoot)
            // Waiting about 100 s for the lock, as s390-tools does, in the realizer's own task.
            realizer = try options.realizer.realizer(
                tree: tree, sysfsRoot: options.sysfsRoot, lockRetries: S390APConfigLock.defaultRetries)
        } catch {
            throw CommandExit.failure(.noInput, "--sysfs-root \(options.sysfsRoot): \(error)")
        }
        var core = DaemonCore(tree: tree, recorder: recorder)
        let coldplugStart = ContinuousClock.now
        let coldplug: [Decision]
        do {
            // A restarted daemon (Restart=on-failure keeps /run/aphotplug) takes back the names of guests still running.
            coldplug = try core.scan(restoredGuests: StateFile.guestNames(in: options.stateDir))
        } catch {
            throw CommandExit.failure(.noInput, "coldplug of \(options.sysfsRoot): \(error)")
        }
        // The realizer works in its own task, one decision at a time, so that waiting for
        // s390apconfig.lock (up to ~100 s, as s390-tools waits) never stalls the event loop.
        let (assignments, assignmentQueue) = AsyncStream<Decision>.makeStream()
        // WATCHDOG=1 comes from the consumer's own ticks, so a stuck consumer stops the pings.
        let watchdogInterval = notifier.isEnabled ? SystemdWatchdog.timeoutFromProcessEnvironment().map { $0 / 2 } : nil
        let machine = DaemonShell.Machine(
            configuration: .init(
                settleDelay: Self.settleDelay, pollInterval: try options.pollDuration(), watchdogInterval: watchdogInterval,
                realizing: realizer != nil),
            start: .now)
        let shell = DaemonShell(
            machine: machine, core: core, reporter: reporter, notifier: notifier, definitions: options.realizer.definitions,
            realizer: realizer, assignments: assignmentQueue, metricsFile: options.metricsFile,
            stateDirectory: options.stateDir, sysfsRoot: options.sysfsRoot, coldplugStart: coldplugStart)
        shell.coldplugScanned(coldplug)

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

        for await input in inputs {
            switch input {
            case .uevents, .eventsLost: monitorBacklog.release()
            case .backlogDrained, .tick, .control, .signal, .realized: break
            }
            guard shell.handle(input) else { break }
        }
        assignmentQueue.finish()
        for producer in producers { producer.cancel() }
        control?.close()
        recorder?.close()
    }
}
