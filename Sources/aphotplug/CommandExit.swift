import Agent
import ArgumentParser

/// Ends a command with a sysexits(3) status after saying why on standard error
/// (`aphotplug: <message>`). Every command of aphotplug exits this way.
enum CommandExit {
    /// The sysexits(3) codes aphotplug's commands use.
    enum Status: Int32 {
        /// EX_USAGE: the command was called wrongly (e.g. `handle` without a uevent).
        case usage = 64
        /// EX_DATAERR: the input data was incorrect (a malformed trace, script or state file).
        case dataError = 65
        /// EX_NOINPUT: the sysfs root, a trace, a script or a state file cannot be read.
        case noInput = 66
        /// EX_UNAVAILABLE: a service (libudev, the daemon) is not available.
        case unavailable = 69
        /// EX_SOFTWARE: an internal error (the demo's simulated kernel refused its own script).
        case software = 70
        /// EX_CANTCREAT: an output file or directory cannot be created.
        case cannotCreate = 73
        /// EX_IOERR: a socket or file could not be written.
        case ioError = 74
        /// EX_TEMPFAIL: try again later (a lock stayed busy).
        case temporaryFailure = 75
    }

    /// Prints `aphotplug: message` on standard error and returns the exit to throw.
    static func failure(_ status: Status, _ message: String) -> ExitCode {
        StandardStream.log(message)
        return ExitCode(status.rawValue)
    }
}
