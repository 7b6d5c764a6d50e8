import APModel
import Agent
import Foundation
import HotplugEngine
import Sysfs

/// `aphotplug handle` without a daemon: restore, feed, read back, report,
/// realize (enforce, dry-run), save.
struct StandaloneHandler {
    /// Retries of s390apconfig.lock (30–33 ms apart, about 3 s), instead of the
    /// daemon's 100 s: udev workers queue behind handle.lock meanwhile.
    static let s390LockRetries = 100
    /// Rounds of assign, read back, assign again, as the daemon's loop would run them.
    static let realizeRounds = 4

    /// The sysfs tree (`--sysfs-root`), opened once for reading back and realizing.
    let tree: DirectorySysfsTree
    let sysfsRoot: String
    let stateDir: String
    let lockTimeout: Duration
    let reporter: DecisionSink
    /// The mdevctl definitions to feed (enforce and dry-run), nil in observe mode.
    let definitions: DefinitionSources?
    let realizer: MatrixRealizer?

    func handle(_ uevent: Uevent) async throws {
        if let problem = StateFile.prepareDirectory(stateDir) {
            throw CommandExit.failure(.cannotCreate, "handle: --state-dir: \(problem)")
        }
        let lock: HandleLock
        do {
            lock = try HandleLock(stateDirectory: stateDir, timeout: lockTimeout)
        } catch {
            throw CommandExit.failure(.temporaryFailure, "handle: \(error)")
        }
        defer { lock.release() }

        var decisions: [Decision] = []
        var core = DaemonCore(tree: tree)
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
            decisions += try scan(&core, uevent)
        case .unusable(let reason):
            StandardStream.log("handle: \(reason); scanning \(sysfsRoot) instead")
            decisions += try scan(&core, uevent)
        }
        if decisions.contains(where: { $0.kind == .resync }) {
            StandardStream.log("handle: events were lost; rescanning \(sysfsRoot)")
            decisions += try scan(&core, uevent)
        }
        if let definitions { decisions += core.definitions(definitions.read(known: core.fedDefinitions)) }
        decisions += core.observe(only: Set(core.engine.mdevsAffected(by: uevent)))
        reporter.report(decisions)
        if let realizer { await realize(decisions, with: realizer, &core) }

        if let failure = EngineStateFile.write(core.checkpoint, bootID: bootID, in: stateDir) {
            throw CommandExit.failure(.cannotCreate, "handle: cannot save the engine state: \(failure)")
        }
        if let error = StateFile.write(core.engine.finalStateJSON, counters: nil, in: stateDir) {
            throw CommandExit.failure(.cannotCreate, "handle: cannot write \(StateFile.path(in: stateDir)): \(String(cString: strerror(error)))")
        }
    }

    /// Carries out the `assign` decisions as the daemon does: logs each write,
    /// reports failures, reads the mdev back after writes (enforce) and carries
    /// out the assignments that the read-back brings. An assignment that found
    /// s390apconfig.lock busy is asked for again at the next event.
    private func realize(_ decisions: [Decision], with realizer: MatrixRealizer, _ core: inout DaemonCore) async {
        var pending = decisions.filter { $0.kind == .assign }
        for _ in 0..<Self.realizeRounds where !pending.isEmpty {
            var next: [Decision] = []
            for decision in pending {
                let outcome = await realizer.realize(decision)
                realizer.logWrites(of: outcome)
                if let failure = outcome.failure { reporter.report([failure]) }
                guard let mdev = decision.mdev else { continue }
                if outcome.lockWasBusy { core.forgetDefinition(of: mdev) }
                if realizer.changedAssignment(outcome) {
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
            throw CommandExit.failure(.noInput, "handle: cannot read \(sysfsRoot): \(error)")
        }
        _ = core.markHandled(uevent)
        return decisions
    }
}
