import APModel
import Agent
import ArgumentParser

/// `aphotplug guest attach|detach`: tells the running daemon that a guest took or released an mdev.
struct GuestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guest",
        abstract: "Tell the running daemon that a guest attached or detached a vfio-ap mdev.",
        discussion: """
            Sends {"type":"guest","action":"attach"|"detach","mdev":"<uuid>","name":"<name>"} to \
            <state-dir>/control.sock; attach needs --name. Exit status: 0 delivered; 64 bad usage; 69 the daemon is not \
            running (no socket, or nobody listens on it); 74 the socket could not be written.
            """
    )

    @Argument(help: "attach or detach.")
    var action: GuestRecord.Action

    @Option(help: ArgumentHelp("The mdev's UUID.", valueName: "uuid"))
    var mdev: String

    @Option(help: ArgumentHelp("The guest's name (a libvirt domain); required for attach.", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("The daemon's state directory.", valueName: "dir"))
    var stateDir = "/run/aphotplug"

    func validate() throws {
        guard MdevUUID(mdev) != nil else { throw ValidationError("--mdev expects a UUID, got '\(mdev)'") }
        // The daemon refuses an attach record without a name (a trace error), so it is refused here,
        // before anything is sent, rather than reported delivered and dropped.
        if action == .attach && (name ?? "").isEmpty {
            throw ValidationError("guest attach needs --name: the daemon records which guest holds the mdev")
        }
    }

    func run() throws {
        guard let uuid = MdevUUID(mdev) else { throw CommandExit.failure(.usage, "--mdev expects a UUID, got '\(mdev)'") }
        let record = GuestRecord(action: action == .attach ? .attach : .detach, mdev: uuid, name: name)
        do {
            try ControlClient.send(ControlMessage.guest(record).text, stateDirectory: stateDir)
        } catch {
            if error.daemonAbsent {
                throw CommandExit.failure(.unavailable, "aphotplug daemon is not running (\(error)); the \(action.rawValue) was not delivered")
            }
            throw CommandExit.failure(.ioError, "cannot notify the daemon: \(error)")
        }
    }
}
