import APTestSupport
import Agent
import Foundation
import Glibc
import Testing

/// The CLI ends of the control socket, against a socket this test binds (no daemon needed).
@Suite struct ControlCommandTests {
    static let mdev = "0b5e1c3a-1111-4c4c-8888-000000000001"

    @Test("guest attach without --name is a usage error, not 'delivered' and then dropped")
    func attachNeedsAName() async throws {
        let directory = try TemporaryDirectory()
        let control = try await ControlSocket(stateDirectory: directory.path)
        defer { control.close() }
        for arguments in [["--mdev", Self.mdev], ["--mdev", Self.mdev, "--name", ""]] {
            let result = try CommandLineRunner.run(["guest", "attach"] + arguments + ["--state-dir", directory.path])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("--name"), "\(result.stderr)")
        }
        let detach = try CommandLineRunner.run(["guest", "detach", "--mdev", Self.mdev, "--state-dir", directory.path])
        #expect(detach.status == 0, "\(detach.stderr)")
    }

    @Test("a second daemon on a state directory whose socket answers exits 69 and leaves the socket alone")
    func secondDaemonRefusesToStart() async throws {
        let directory = try TemporaryDirectory()
        let control = try await ControlSocket(stateDirectory: directory.path)
        defer { control.close() }
        let result = try CommandLineRunner.run(["daemon", "--state-dir", directory.path, "--log-target", "json"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("another aphotplug daemon is listening"), "\(result.stderr)")
        try ControlClient.send("still here", stateDirectory: directory.path)
        var iterator = control.messages.makeAsyncIterator()
        #expect(await iterator.next() == .message("still here"))
    }

    @Test("handle with an event too large for a datagram: runs standalone without a daemon, fails loudly with one")
    func oversizedEvent() async throws {
        let directory = try TemporaryDirectory()
        var environment = [
            "PATH": "/usr/bin:/bin", "ACTION": "bind", "DEVPATH": "/devices/ap/card05/05.0004", "SUBSYSTEM": "ap",
            "DRIVER": "vfio_ap", "SEQNUM": "7",
        ]
        // 250 KB in all (one variable may hold at most 128 KiB): more than a datagram's default send buffer.
        environment["DRIVER"] = String(repeating: "d", count: 125_000)
        environment["MODALIAS"] = String(repeating: "m", count: 125_000)
        let sysfs = directory.path + "/sys"
        #expect(mkdir(sysfs, 0o755) == 0)
        let state = directory.path + "/state"
        let alone = try CommandLineRunner.run(
            ["handle", "--sysfs-root", sysfs, "--state-dir", state, "--log-target", "json"], environment: environment)
        // No AP bus in the empty tree: the standalone path was taken (66), not an EMSGSIZE exit (74).
        #expect(alone.status == 66, "\(alone.stderr)")
        #expect(!alone.stderr.contains("Message too long"), "\(alone.stderr)")

        #expect(mkdir(state, 0o755) == 0 || errno == EEXIST)
        let control = try await ControlSocket(stateDirectory: state)
        defer { control.close() }
        let forwarded = try CommandLineRunner.run(
            ["handle", "--sysfs-root", sysfs, "--state-dir", state, "--log-target", "json"], environment: environment)
        #expect(forwarded.status == 74, "\(forwarded.stderr)")
        #expect(forwarded.stderr.contains("larger than 65536 bytes"), "\(forwarded.stderr)")
    }

    @Test("a daemon refuses a state directory writable by others (exit 73) and binds no socket in it")
    func daemonRefusesAnInsecureStateDirectory() throws {
        let directory = try TemporaryDirectory()
        #expect(chmod(directory.path, 0o777) == 0)
        let result = try CommandLineRunner.run(["daemon", "--state-dir", directory.path, "--log-target", "json"])
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("writable by group or others"), "\(result.stderr)")
        #expect(directory.entries.isEmpty)
    }
}
