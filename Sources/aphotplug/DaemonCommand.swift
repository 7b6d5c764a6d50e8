import Agent
import ArgumentParser
import Foundation
import Udev

/// The options `aphotplug daemon` and `aphotplug record` share.
struct DaemonOptions: ParsableArguments {
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
    var source: UdevMonitorConfiguration.Source = .udev

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
