import APModel
import Agent
import HotplugEngine
import Simulator
import Sysfs

/// What `aphotplug what-if` predicts: the host reproduced in the simulated
/// kernel (``HostReproduction``), the changes applied there, and the uevents
/// and read-backs the kernel would give fed to the engine as the daemon feeds
/// them. Nothing is written anywhere.
struct WhatIfRun {
    /// A change and what became of it.
    struct Change {
        var text: String
        /// Nil when the kernel took it; else its errno and meaning.
        var refusal: String?
    }

    /// Per mdev: the APQNs its guest would gain and lose, and its blocker.
    struct GuestChange {
        var mdev: MdevUUID
        var guest: String?
        var attached: Bool
        var gains: Set<APQN> = []
        var losses: Set<APQN> = []
        var blockerBefore: Bool
        var blockerAfter: Bool
        var apqnsAfter: Int
    }

    var changes: [Change] = []
    var decisions: [Decision] = []
    var guests: [GuestChange] = []
    /// Where the simulated kernel could not reproduce the host exactly.
    var notes: [String] = []

    /// Whether an attached guest would lose an APQN (exit status 1).
    var aGuestLoses: Bool { guests.contains { $0.attached && !$0.losses.isEmpty } }

    /// Runs `steps` (``Scenario`` steps, after its boot) on `snapshot`.
    static func predict(snapshot: HostSnapshot, guests names: [MdevUUID: String], steps: [Scenario.Step]) throws -> WhatIfRun {
        var run = WhatIfRun()
        var simulation = Simulation()
        for operation in HostReproduction.operations(reproducing: snapshot, guests: names) {
            do {
                _ = try simulation.perform(operation)
            } catch {
                run.notes.append("the simulated kernel could not reproduce '\(operation.scriptLine)': \(error)")
            }
        }
        for mdev in snapshot.mdevs {
            guard let guestMatrix = mdev.guestMatrix, let simulated = simulation.kernel.mdev(mdev.uuid) else { continue }
            let shadow = APMatrix(adapters: simulated.shadow.adapters, domains: simulated.shadow.domains)
            if shadow != APMatrix(adapters: guestMatrix.adapters, domains: guestMatrix.domains) {
                run.notes.append("mdev \(mdev.uuid): the host's guest_matrix differs from the simulated kernel's; the prediction starts from the simulated one")
            }
        }
        // The engine starts from the host as read (as the daemon would have it); the
        // simulated kernel reproduces it, and the notes above say where it could not.
        let start = snapshot
        var session = ReplaySession()
        // Named guests as the daemon knows them; the others show as `in use`, as on the host.
        let holders = names.filter { uuid, _ in simulation.kernel.mdev(uuid)?.guest != nil }
        _ = session.start(snapshot: start, guests: holders)
        let before = Dictionary(uniqueKeysWithValues: session.engine.mdevStates.map { ($0.uuid, $0) })
        for step in steps {
            do {
                let performed = try simulation.perform(step.operation)
                for record in performed.records {
                    run.decisions += try session.replay(SimulateCommand.traceRecord(record))
                }
                run.decisions += session.settle()
                run.changes.append(Change(text: step.text, refusal: nil))
            } catch let failure as OperationFailure {
                switch failure {
                case .kernel:
                    run.changes.append(Change(text: step.text, refusal: failure.description))
                case .invalidRequest(let reason):
                    throw WhatIfError(line: step.line, text: step.text, reason: reason)
                }
            }
        }
        for state in session.engine.mdevStates {
            let old = before[state.uuid]
            var change = GuestChange(
                mdev: state.uuid, guest: state.guest ?? old?.guest, attached: old?.blocksMigration ?? false,
                blockerBefore: old?.blocksMigration ?? false, blockerAfter: state.blocksMigration,
                apqnsAfter: APMatrix(adapters: state.shadow.adapters, domains: state.shadow.domains).apqns.count)
            let was = Set(old.map { APMatrix(adapters: $0.shadow.adapters, domains: $0.shadow.domains).apqns } ?? [])
            let now = Set(APMatrix(adapters: state.shadow.adapters, domains: state.shadow.domains).apqns)
            change.gains = now.subtracting(was)
            change.losses = was.subtracting(now)
            run.guests.append(change)
        }
        // An mdev the changes removed: its guest (if any) loses everything it had.
        for (uuid, old) in before.sorted(by: { $0.key < $1.key }) where !run.guests.contains(where: { $0.mdev == uuid }) {
            var change = GuestChange(
                mdev: uuid, guest: old.guest, attached: old.blocksMigration, blockerBefore: old.blocksMigration,
                blockerAfter: false, apqnsAfter: 0)
            change.losses = Set(APMatrix(adapters: old.shadow.adapters, domains: old.shadow.domains).apqns)
            run.guests.append(change)
        }
        return run
    }
}

/// A change that cannot be carried out as written (exit 65).
struct WhatIfError: Error {
    var line: Int
    var text: String
    var reason: String
}
