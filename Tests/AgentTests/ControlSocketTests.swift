import APTestSupport
import Agent
import Foundation
import Glibc
import Posix
import Testing

/// The control socket as a second daemon, a large event and a foreign user meet it.
@Suite struct ControlSocketTests {
    /// The next datagram of `socket`, or nil after 5 s.
    static func next(_ socket: ControlSocket) async -> ControlSocket.Datagram? {
        await withTaskGroup(of: ControlSocket.Datagram?.self) { group in
            group.addTask {
                var iterator = socket.messages.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Sends `bytes` as one datagram to `path` with a socket of our own (no size check).
    static func sendRaw(_ bytes: [UInt8], to path: String) -> Int {
        guard let socket = try? UnixDatagramSocket() else { return -1 }
        defer { socket.close() }
        try? socket.setSendBufferSize(1 << 20)
        return (try? socket.send(bytes, to: .path(path))) == nil ? -1 : bytes.count
    }

    @Test("a second daemon on the same directory is refused; the first one still hears")
    func secondDaemonIsRefused() async throws {
        let directory = try TemporaryDirectoryPath()
        let first = try await ControlSocket(stateDirectory: directory.path)
        await #expect(throws: ControlSocketError.self) { _ = try await ControlSocket(stateDirectory: directory.path) }
        do {
            _ = try await ControlSocket(stateDirectory: directory.path)
        } catch {
            #expect(error.isInUse)
            #expect(error.description.contains("another aphotplug daemon is listening"))
        }
        try ControlClient.send("hello", stateDirectory: directory.path)
        #expect(await Self.next(first) == .message("hello"))
        first.close()
    }

    @Test("a stale socket (its daemon gone) is replaced; a file that is no socket is left alone")
    func staleSocketIsReplaced() async throws {
        let directory = try TemporaryDirectoryPath()
        let path = ControlSocket.path(in: directory.path)
        // A socket bound and closed without unlinking, as a killed daemon leaves it.
        let stale = try UnixDatagramSocket()
        try stale.bind(to: .path(path))
        stale.close()
        let replacing = try await ControlSocket(stateDirectory: directory.path)
        try ControlClient.send("after", stateDirectory: directory.path)
        #expect(await Self.next(replacing) == .message("after"))
        replacing.close()

        try Data("not a socket".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try await ControlSocket(stateDirectory: directory.path)
            Issue.record("a regular file at control.sock must not be replaced")
        } catch {
            #expect(error.errno == ENOTSOCK)
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a socket")
    }

    @Test("a datagram larger than the limit is reported, not cut and dropped in silence")
    func truncationIsDetected() async throws {
        let directory = try TemporaryDirectoryPath()
        let control = try await ControlSocket(stateDirectory: directory.path)
        defer { control.close() }
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
        #expect(Self.sendRaw(big, to: ControlSocket.path(in: directory.path)) == big.count)
        guard case .refused(let reason)? = await Self.next(control) else {
            Issue.record("a 100,000-byte datagram must be refused with a reason")
            return
        }
        #expect(reason.contains("100000 bytes"), "\(reason)")
        #expect(reason.contains("larger than 65536"), "\(reason)")
        // A message of exactly the limit passes whole.
        let limit = String(repeating: "y", count: ControlSocket.maximumMessageSize)
        try ControlClient.send(limit, stateDirectory: directory.path)
        #expect(await Self.next(control) == .message(limit))
    }

    @Test("the client refuses an oversized message loudly when a daemon listens, and says 'absent' when none does")
    func clientSizeCheck() async throws {
        let directory = try TemporaryDirectoryPath()
        let big = String(repeating: "z", count: 300_000)
        do {
            try ControlClient.send(big, stateDirectory: directory.path)
            Issue.record("no daemon: the send must fail")
        } catch {
            #expect(error.daemonAbsent, "\(error)")
        }
        let control = try await ControlSocket(stateDirectory: directory.path)
        defer { control.close() }
        do {
            try ControlClient.send(big, stateDirectory: directory.path)
            Issue.record("a daemon listens: an oversized message must fail")
        } catch {
            #expect(!error.daemonAbsent)
            #expect(error.errno == EMSGSIZE)
            #expect(error.description.contains("larger than 65536 bytes"))
        }
    }

    @Test("a datagram from another user is dropped with its uid, even through a socket left open to all")
    func foreignSenderIsRefused() async throws {
        // Sending as uid 65534 takes root and util-linux's setpriv (installed by CI).
        guard geteuid() == 0, access("/usr/bin/setpriv", X_OK) == 0 else { return }
        let directory = try TemporaryDirectoryPath()
        #expect(chmod(directory.path, 0o755) == 0)
        let control = try await ControlSocket(stateDirectory: directory.path)
        defer { control.close() }
        #expect(chmod(ControlSocket.path(in: directory.path), 0o666) == 0)  // the mode alone would let uid 65534 in now
        // The sender: aphotplug's own client, run as nobody.
        let process = try Process.run(URL(fileURLWithPath: "/usr/bin/setpriv"), arguments: [
            "--reuid=65534", "--regid=65534", "--clear-groups", try BuiltExecutable.path(named: "aphotplug"),
            "guest", "detach", "--mdev", "0b5e1c3a-1111-4c4c-8888-000000000001", "--state-dir", directory.path,
        ])
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "uid 65534 could not run the client (build directory not readable?)")
        guard case .refused(let reason)? = await Self.next(control) else {
            Issue.record("a datagram from uid 65534 must be refused")
            return
        }
        #expect(reason.contains("from uid 65534"), "\(reason)")
    }
}

/// A temporary directory (mode 0700) removed when the value goes away.
final class TemporaryDirectoryPath {
    let path: String

    init() throws {
        var template = Array("/tmp/aphp-control.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
