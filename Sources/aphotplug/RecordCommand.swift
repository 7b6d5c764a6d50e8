import Agent
import ArgumentParser

/// `aphotplug record`: the daemon, which also writes everything it feeds the engine to a trace.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run the daemon and capture a JSON Lines trace that aphotplug replay reproduces.",
        discussion: """
            Does everything aphotplug daemon does (decisions on standard output, state file, control \
            socket) and writes to --output, in order, every input it hands to the engine: the sysfs files \
            read at coldplug and on each rescan ({"type":"snapshot",...}), uevents ({"type":"uevent",...}), \
            changed read-backs ({"type":"observe",...}) and guest notifications ({"type":"guest",...}). \
            `aphotplug replay FILE` prints the same decisions. Stop it with SIGTERM or SIGINT.
            """
    )

    @OptionGroup var options: DaemonOptions

    @Option(help: ArgumentHelp("The trace file to write (replaced).", valueName: "file"))
    var output = "aphotplug-trace.jsonl"

    func run() async throws {
        ProcessSignalMask.unblockAll()
        try await DaemonRunner(options: options, recordPath: output).run()
    }
}
