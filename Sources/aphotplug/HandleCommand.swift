import APModel
import Agent
import ArgumentParser
import Foundation
import HotplugEngine
import Sysfs

/// `aphotplug handle`: one uevent from udev's environment, for hosts that run
/// `71-aphotplug-handle.rules` instead of the daemon.
struct HandleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handle",
        abstract: "Handle one uevent from the udev environment (RUN program of 71-aphotplug-handle.rules).",
        discussion: """
            Reads the event from the environment udev gives a RUN program: ACTION, DEVPATH, SUBSYSTEM, \
            DEVTYPE, DRIVER, SEQNUM and the AP keys (INITSCAN, BINDINGS, COMPLETECOUNT, APMASK, AQMASK, \
            CONFIG, CHKSTOP, ONLINE, MDEV_STATE, DEV_TYPE, MODALIAS, MODE).

            When aphotplug daemon runs (<state-dir>/control.sock answers), the event is forwarded to it \
            and handle exits; the daemon reports the decisions. Otherwise, holding <state-dir>/handle.lock \
            (concurrent udev workers run one at a time), handle restores the engine from \
            <state-dir>/engine.state, feeds it the event, reads back the mdevs the event can affect, \
            reports the decisions, and saves engine.state and state.json (aphotplug status). Without \
            engine.state (first event since boot) or when it cannot be used, it scans --sysfs-root \
            instead; that scan already shows the event. An event whose SEQNUM was handled recently \
            (udev ran handle twice for it) is ignored.

            --mode enforce and --mode dry-run work as for the daemon: the mdevctl definitions are read \
            with every event, and what they ask for and the kernel accepts is assigned (ap_config or \
            assign_* under s390apconfig.lock, then read back) or, in dry-run, reported on standard error. \
            handle waits for s390apconfig.lock only about 3 s (other udev workers wait for handle.lock \
            meanwhile); an assignment that found it busy is asked for again at the next event.

            Exit status: 0 handled, forwarded or a duplicate; 64 no event in the environment; 66 \
            --sysfs-root cannot be read; 73 the state files cannot be written; 74 the daemon's socket \
            failed; 75 handle.lock stayed busy for --lock-timeout.
            """
    )

    @Option(help: ArgumentHelp("The sysfs tree to read.", valueName: "dir"))
    var sysfsRoot = "/sys"

    @Option(help: ArgumentHelp(
        "Where engine.state, state.json, handle.lock and the daemon's control.sock live (created when missing).",
        valueName: "dir"))
    var stateDir = "/run/aphotplug"

    @Option(help: """
        Where decisions go: journal (structured fields; JSON lines on standard output when journald \
        cannot be reached), or json or text lines on standard output.
        """)
    var logTarget: DaemonOptions.LogTargetOption = .journal

    @Option(help: ArgumentHelp("journald's native socket, for --log-target journal.", visibility: .hidden))
    var journalSocket = JournalReporter.defaultSocket

    @Option(help: ArgumentHelp("Seconds to wait for handle.lock.", valueName: "seconds"))
    var lockTimeout: Double = 30

    @Option(help: """
        observe: report and verify only. enforce: also assign what the mdevctl definitions ask for \
        as soon as the kernel accepts it. dry-run: report those writes on standard error instead.
        """)
    var mode: DaemonOptions.ModeOption = .observe

    @Option(help: ArgumentHelp(
        "mdevctl's configuration directory; definitions are <dir>/matrix/<uuid> (enforce and dry-run).",
        valueName: "dir"))
    var mdevctlDir = MdevctlDirectory.defaultPath

    @Option(help: ArgumentHelp("s390-tools' AP configuration lock file.", visibility: .hidden))
    var lockFile = S390APConfigLock.defaultPath

    func validate() throws {
        guard lockTimeout >= 0, lockTimeout.isFinite else { throw ValidationError("--lock-timeout must be a number of seconds") }
    }

    func run() async throws {
        let uevent: Uevent
        do {
            uevent = try UeventEnvironment.uevent(from: ProcessInfo.processInfo.environment)
        } catch {
            throw AgentExit.failure(.usage, "handle: \(error)")
        }
        do {
            try ControlClient.send(ControlMessage.uevent(uevent).text, stateDirectory: stateDir)
            return
        } catch where !error.daemonAbsent {
            throw AgentExit.failure(.ioError, "handle: cannot forward the event to aphotplug daemon: \(error)")
        } catch {
            // No daemon: handle it here.
        }
        var realizer: MatrixRealizer?
        if let realizerMode = mode.realizerMode {
            do {
                realizer = MatrixRealizer(
                    mode: realizerMode, tree: try DirectorySysfsTree(root: sysfsRoot),
                    writer: try DirectorySysfsWriter(root: sysfsRoot),
                    lock: S390APConfigLock(path: lockFile, retries: StandaloneHandler.s390LockRetries))
            } catch {
                throw AgentExit.failure(.noInput, "handle: --sysfs-root \(sysfsRoot): \(error)")
            }
        }
        try await StandaloneHandler(
            sysfsRoot: sysfsRoot, stateDir: stateDir, lockTimeout: .milliseconds(Int64(lockTimeout * 1000)),
            reporter: DecisionSink(target: logTarget, journalSocket: journalSocket),
            definitions: realizer == nil ? nil : MdevctlDirectory(path: mdevctlDir), realizer: realizer
        ).handle(uevent)
    }
}

/// `aphotplug handle` without a daemon: restore, feed, read back, report,
/// realize (enforce, dry-run), save.
struct StandaloneHandler {
    /// Retries of s390apconfig.lock (30–33 ms apart, about 3 s), instead of the
    /// daemon's 100 s: udev workers queue behind handle.lock meanwhile.
    static let s390LockRetries = 100
    /// Rounds of assign, read back, assign again, as the daemon's loop would run them.
    static let realizeRounds = 4

    let sysfsRoot: String
    let stateDir: String
    let lockTimeout: Duration
    let reporter: DecisionSink
    /// The mdevctl definitions to feed (enforce and dry-run), nil in observe mode.
    let definitions: MdevctlDirectory?
    let realizer: MatrixRealizer?

    func handle(_ uevent: Uevent) async throws {
        if let error = StateFile.prepareDirectory(stateDir) {
            throw AgentExit.failure(.cannotCreate, "handle: --state-dir \(stateDir): \(String(cString: strerror(error)))")
        }
        let lock: HandleLock
        do {
            lock = try HandleLock(stateDirectory: stateDir, timeout: lockTimeout)
        } catch {
            throw AgentExit.failure(.temporaryFailure, "handle: \(error)")
        }
        defer { lock.release() }
        let tree: DirectorySysfsTree
        do {
            tree = try DirectorySysfsTree(root: sysfsRoot)
        } catch {
            throw AgentExit.failure(.noInput, "handle: --sysfs-root \(sysfsRoot): \(error)")
        }

        var decisions: [Decision] = []
        var core: DaemonCore
        let bootID = EngineStateFile.currentBootID()
        switch EngineStateFile.read(in: stateDir, bootID: bootID) {
        case .restored(let checkpoint):
            core = DaemonCore(tree: tree, restoring: checkpoint)
            guard let fed = core.uevent(uevent) else {
                StandardStream.log("handle: SEQNUM \(uevent.seqnum.map(String.init) ?? "?") was handled already; ignored")
                return
            }
            decisions += fed
        case .missing:
            core = DaemonCore(tree: tree)
            decisions += try scan(&core, uevent)
        case .unusable(let reason):
            StandardStream.log("handle: \(reason); scanning \(sysfsRoot) instead")
            core = DaemonCore(tree: tree)
            decisions += try scan(&core, uevent)
        }
        if decisions.contains(where: { $0.kind == .resync }) {
            StandardStream.log("handle: events were lost; rescanning \(sysfsRoot)")
            decisions += try scan(&core, uevent)
        }
        if let definitions { decisions += core.definitions(definitions.read()) }
        decisions += core.observe(only: Set(core.engine.mdevsAffected(by: uevent)))
        reporter.report(decisions)
        if let realizer { await realize(decisions, with: realizer, &core) }

        if let failure = EngineStateFile.write(core.checkpoint, bootID: bootID, in: stateDir) {
            throw AgentExit.failure(.cannotCreate, "handle: cannot save the engine state: \(failure)")
        }
        if let error = StateFile.write(core.engine.finalStateJSON, in: stateDir) {
            throw AgentExit.failure(.cannotCreate, "handle: cannot write \(StateFile.path(in: stateDir)): \(String(cString: strerror(error)))")
        }
    }

    /// Carries out the `assign` decisions as the daemon does: logs each write,
    /// reports failures, reads the mdev back after writes (enforce) and carries
    /// out the assignments that the read-back brings. An assignment that found
    /// s390apconfig.lock busy is asked for again at the next event.
    private func realize(_ decisions: [Decision], with realizer: MatrixRealizer, _ core: inout DaemonCore) async {
        let verb = realizer.mode == .enforce ? "wrote" : "dry run: would write"
        var pending = decisions.filter { $0.kind == .assign }
        for _ in 0..<Self.realizeRounds where !pending.isEmpty {
            var next: [Decision] = []
            for decision in pending {
                let outcome = await realizer.realize(decision)
                for write in outcome.writes {
                    StandardStream.log("\(verb) /sys/\(write.path): \(write.value.trimmingCharacters(in: .newlines))")
                }
                if let failure = outcome.failure { reporter.report([failure]) }
                guard let mdev = decision.mdev else { continue }
                if outcome.lockWasBusy { core.forgetDefinition(of: mdev) }
                if realizer.mode == .enforce && !outcome.writes.isEmpty {
                    let readBack = core.observe(only: [mdev])
                    reporter.report(readBack)
                    next += readBack.filter { $0.kind == .assign }
                }
            }
            pending = next
        }
    }

    /// Scans the tree; the scan shows what `uevent` did, so the event is marked
    /// handled rather than fed (feeding it would report, e.g., an unbind of a
    /// queue that the scan already found unbound).
    private func scan(_ core: inout DaemonCore, _ uevent: Uevent) throws -> [Decision] {
        let decisions: [Decision]
        do {
            decisions = try core.scan()
        } catch {
            throw AgentExit.failure(.noInput, "handle: cannot read \(sysfsRoot): \(error)")
        }
        _ = core.markHandled(uevent)
        return decisions
    }
}
