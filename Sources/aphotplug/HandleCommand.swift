import APModel
import Agent
import ArgumentParser
import Foundation
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
            engine.state (first event since boot; the daemon removes it when it starts) or when it cannot \
            be used (another format, saved during another boot), it scans --sysfs-root instead; that \
            scan already shows the event. An event whose SEQNUM was handled recently \
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

    @OptionGroup var realizerOptions: RealizerOptions

    func validate() throws {
        _ = try SecondsOption.duration(lockTimeout, option: "--lock-timeout", minimum: 0)
    }

    func run() async throws {
        let uevent: Uevent
        do {
            uevent = try UeventEnvironment.uevent(from: ProcessInfo.processInfo.environment)
        } catch {
            throw CommandExit.failure(.usage, "handle: \(error)")
        }
        do {
            try ControlClient.send(ControlMessage.uevent(uevent).text, stateDirectory: stateDir)
            return
        } catch where !error.daemonAbsent {
            throw CommandExit.failure(.ioError, "handle: cannot forward the event to aphotplug daemon: \(error)")
        } catch {
            // No daemon: handle it here.
        }
        let tree: DirectorySysfsTree
        let realizer: MatrixRealizer?
        do {
            tree = try DirectorySysfsTree(root: sysfsRoot)
            realizer = try realizerOptions.realizer(tree: tree, sysfsRoot: sysfsRoot, lockRetries: StandaloneHandler.s390LockRetries)
        } catch {
            throw CommandExit.failure(.noInput, "handle: --sysfs-root \(sysfsRoot): \(error)")
        }
        try await StandaloneHandler(
            tree: tree, sysfsRoot: sysfsRoot, stateDir: stateDir, lockTimeout: try SecondsOption.duration(lockTimeout, option: "--lock-timeout", minimum: 0),
            reporter: DecisionSink(target: logTarget, journalSocket: journalSocket),
            definitions: realizerOptions.definitions, realizer: realizer
        ).handle(uevent)
    }
}
