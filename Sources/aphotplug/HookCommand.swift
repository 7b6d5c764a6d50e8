import APModel
import Agent
import ArgumentParser
import Foundation
import Glibc
import LibvirtHook
import Posix
import Trace

/// `aphotplug hook`: entry points that other programs' hook mechanisms call.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Entry points for other programs' hooks.",
        subcommands: [LibvirtHookCommand.self]
    )
}

/// `aphotplug hook libvirt <domain> <operation> <sub-operation> <extra>`:
/// libvirt's qemu hook, which tells aphotplug which guest holds which vfio-ap mdev.
struct LibvirtHookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libvirt",
        abstract: "Report guest attach and detach of vfio-ap mdevs from libvirt's qemu hook.",
        discussion: """
            libvirt runs its qemu hooks with four arguments, <domain> <operation> \
            <sub-operation> <extra>, and the domain XML on standard input. Installed as \
            /etc/libvirt/hooks/qemu.d/aphotplug (libvirt 6.5 or later), or called from \
            /etc/libvirt/hooks/qemu with the same arguments, this reads the \
            <hostdev type='mdev' model='vfio-ap'> devices of the domain and reports \
            attach on prepare, start, started, reconnect and attach, and detach on \
            stopped and release. migrate and restore are filters whose output libvirt \
            reads as domain XML, so nothing is printed for them.

            Each report is one JSON line, {"type":"guest","action":"attach",\
            "mdev":"<uuid>","name":"<domain>"}, on standard output.

            It always exits 0: a failing hook would stop the guest from starting, and \
            aphotplug only reports. Errors, such as malformed XML, go to standard error.
            """
    )

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("<domain> <operation> <sub-operation> <extra>, as libvirt passes them.", valueName: "hook-arguments")
    )
    var hookArguments: [String] = []

    /// The arguments are captured verbatim (a domain name may start with `-`),
    /// so help has to be asked for alone; libvirt always passes four arguments.
    func validate() throws {
        if hookArguments == ["--help"] || hookArguments == ["-h"] { throw CleanExit.helpRequest(self) }
    }

    func run() {
        do {
            let invocation = try LibvirtHookInvocation(arguments: hookArguments)
            // Read all of standard input even when the operation needs none of
            // it, so that libvirt never writes into a closed pipe.
            let domainXML = try StandardInput.readAll()
            deliver(try invocation.notifications(forDomainXML: domainXML))
        } catch {
            let call = hookArguments.prefix(2).joined(separator: " ")
            StandardError.write("aphotplug hook libvirt \(call): \(error); nothing reported, the guest is not affected\n")
        }
    }

    /// Hands the notifications to the running daemon through its control socket
    /// (`$APHOTPLUG_STATE_DIR/control.sock`, default `/run/aphotplug`). When the
    /// daemon is not running, each notification is printed as a guest trace record
    /// instead and the reason goes to standard error; the hook still exits 0.
    private func deliver(_ notifications: [GuestRecord]) {
        let stateDirectory = ProcessInfo.processInfo.environment["APHOTPLUG_STATE_DIR"] ?? "/run/aphotplug"
        for notification in notifications {
            do {
                try ControlClient.send(ControlMessage.guest(notification).text, stateDirectory: stateDirectory)
            } catch {
                StandardError.write("aphotplug hook libvirt: cannot notify the daemon (\(error)); printed instead\n")
                print(JSONLinesWriter.line(.guest(notification)), terminator: "")
            }
        }
    }
}

/// Reading standard input to its end.
private enum StandardInput {
    /// More than any domain XML; a guard against an endless input.
    static let limit = 64 << 20

    static func readAll() throws(StandardInputError) -> [UInt8] {
        let bytes: [UInt8]?
        do {
            bytes = try Posix.readAll(STDIN_FILENO, limit: limit)
        } catch {
            throw .readFailed(errno: error.rawValue)
        }
        guard let bytes else { throw .tooLarge(limit: limit) }
        return bytes
    }
}

/// Why standard input could not be read.
private enum StandardInputError: Error, CustomStringConvertible {
    case readFailed(errno: Int32)
    case tooLarge(limit: Int)

    var description: String {
        switch self {
        case .readFailed(let errno): "cannot read the domain XML from standard input: \(String(cString: strerror(errno)))"
        case .tooLarge(let limit): "the domain XML on standard input is larger than \(limit >> 20) MiB"
        }
    }
}

/// Unbuffered writes to standard error.
private enum StandardError {
    static func write(_ text: String) {
        // Standard error gone: nowhere left to say it.
        try? Posix.writeAll(STDERR_FILENO, text)
    }
}
