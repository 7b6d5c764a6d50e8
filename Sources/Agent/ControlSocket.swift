import Dispatch
internal import Glibc
import Posix

/// `<state-dir>/control.sock`: an `AF_UNIX` datagram socket (mode 0600) on which
/// the daemon receives guest notifications and the uevents `aphotplug handle`
/// forwards, one JSON trace record per datagram (``ControlMessage``):
/// `{"type":"guest","action":"attach","mdev":"<uuid>","name":"vm1"}`.
///
/// The datagrams arrive as an `AsyncStream` of their texts, read by a
/// `DispatchSourceRead` registered before the initializer returns. Only root and
/// the daemon's own user may send (``ControlDatagram``, `SO_PASSCRED`); a datagram
/// from anyone else, or one longer than ``maximumMessageSize``, arrives as
/// ``Datagram/refused(_:)`` so that the daemon reports it.
///
/// A socket at the path is replaced only when nobody answers on it (a daemon
/// that was killed left it behind): while another daemon listens, ``init(stateDirectory:)``
/// throws ``ControlSocketError/isInUse``, and a path that is no socket is never removed.
public final class ControlSocket: Sendable {
    public static let name = "control.sock"
    /// The largest message: a uevent from udev is a few KiB (the kernel's
    /// `UEVENT_BUFFER_SIZE` is 2048), a guest record less. ``ControlClient`` refuses
    /// to send more, and the daemon reports a longer datagram instead of cutting it.
    public static let maximumMessageSize = 65_536

    /// One received datagram.
    public enum Datagram: Sendable, Equatable {
        /// A message from an allowed sender, at most ``maximumMessageSize`` bytes.
        case message(String)
        /// A datagram that was dropped (foreign sender, too long); the reason says which.
        case refused(String)
    }

    /// The path of the socket in `stateDirectory`.
    public static func path(in stateDirectory: String) -> String { stateDirectory + "/" + name }

    /// The received datagrams.
    public let messages: AsyncStream<Datagram>
    /// Only `close()` touches it after `init`; DispatchSource is thread-safe.
    nonisolated(unsafe) private let source: any DispatchSourceRead
    private let path: String

    /// Binds the socket (replacing a stale one), sets mode 0600 and starts reading.
    ///
    /// - Throws: ``ControlSocketError`` with the failing call and errno;
    ///   ``ControlSocketError/isInUse`` when another daemon answers on the socket.
    public init(stateDirectory: String) async throws(ControlSocketError) {
        let path = Self.path(in: stateDirectory)
        try Self.removeStaleSocket(at: path)
        let socket: UnixDatagramSocket
        do {
            socket = try UnixDatagramSocket(nonBlocking: true)
        } catch {
            throw ControlSocketError(call: "socket", path: path, errno: error.rawValue)
        }
        func fail(_ call: String, _ error: Errno) -> ControlSocketError {
            socket.close()
            return ControlSocketError(call: call, path: path, errno: error.rawValue)
        }
        do { try socket.enableCredentials() } catch { throw fail("setsockopt(SO_PASSCRED)", error) }
        do { try socket.bind(to: .path(path)) } catch { throw fail("bind", error) }
        guard chmod(path, 0o600) == 0 else { throw fail("chmod", .current) }
        let descriptor = socket.descriptor
        let (stream, continuation) = AsyncStream<Datagram>.makeStream()
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "aphotplug.control"))
        source.setEventHandler {
            // One byte more than a message may have: MSG_TRUNC tells a longer one anyway.
            var buffer = [UInt8](repeating: 0, count: Self.maximumMessageSize + 1)
            while true {
                switch ControlDatagram.receive(socket, into: &buffer) {
                case .message(let text): continuation.yield(.message(text))
                case .refused(let reason): continuation.yield(.refused(reason))
                case .drained: return
                }
            }
        }
        source.setCancelHandler {
            socket.close()
            continuation.finish()
        }
        await withCheckedContinuation { (registered: CheckedContinuation<Void, Never>) in
            source.setRegistrationHandler { registered.resume() }
            source.resume()
        }
        self.messages = stream
        self.source = source
        self.path = path
    }

    /// Unlinks a socket at `path` that nobody answers on; nothing there is fine.
    ///
    /// - Throws: ``ControlSocketError/isInUse`` while a daemon answers, `ENOTSOCK`
    ///   when the path is another kind of file (left alone).
    static func removeStaleSocket(at path: String) throws(ControlSocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw ControlSocketError(call: "lstat", path: path, errno: errno)
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw ControlSocketError(call: "bind", path: path, errno: ENOTSOCK) }
        switch ControlClient.probe(path) {
        case .listening: throw ControlSocketError(call: "bind", path: path, errno: EADDRINUSE)
        case .absent: break
        case .failed(let error): throw error
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw ControlSocketError(call: "unlink", path: path, errno: errno) }
    }

    /// Stops reading and removes the socket file.
    public func close() {
        source.cancel()
        unlink(path)
    }
}

/// Why the control socket could not be set up or used.
public struct ControlSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    public var call: String
    public var path: String
    public var errno: Int32

    public init(call: String, path: String, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// Whether the error means that no daemon listens (no socket, or a stale one).
    public var daemonAbsent: Bool { errno == ENOENT || errno == ECONNREFUSED || errno == ENOTDIR }

    /// Whether another daemon answers on the socket this one wanted to bind.
    public var isInUse: Bool { call == "bind" && errno == EADDRINUSE }

    public var description: String {
        if isInUse { return "\(path): another aphotplug daemon is listening on it (same --state-dir); not replaced" }
        if call == "bind" && errno == ENOTSOCK { return "\(path) exists and is no socket; not replaced" }
        if call == "send" && errno == EMSGSIZE {
            return "send \(path): the message is larger than \(ControlSocket.maximumMessageSize) bytes, the control socket's limit"
        }
        return "\(call) \(path): \(String(cString: strerror(errno)))"
    }
}

/// Sends one message to a running daemon's control socket.
public enum ControlClient {
    /// Sends `message` as one datagram to `<stateDirectory>/control.sock`.
    ///
    /// - Throws: ``ControlSocketError``; ``ControlSocketError/daemonAbsent`` tells a
    ///   daemon that is not running from other failures.
    ///
    /// The socket is connected first, so that a missing daemon is told
    /// (``ControlSocketError/daemonAbsent``) before the size is judged: a message
    /// larger than ``ControlSocket/maximumMessageSize`` is refused with `EMSGSIZE`
    /// only when a daemon listens (the caller must fail loudly then), and without a
    /// daemon the caller handles it itself.
    public static func send(_ message: String, stateDirectory: String) throws(ControlSocketError) {
        let path = ControlSocket.path(in: stateDirectory)
        let socket = try connected(to: path)
        defer { socket.close() }
        try? socket.setSendTimeout(.seconds(2))
        let bytes = Array(message.utf8)
        guard bytes.count <= ControlSocket.maximumMessageSize else {
            throw ControlSocketError(call: "send", path: path, errno: EMSGSIZE)
        }
        do {
            try socket.send(bytes)
        } catch {
            throw ControlSocketError(call: "send", path: path, errno: error.rawValue)
        }
    }

    /// Whether a daemon answers at `path`.
    enum Probe {
        case listening
        case absent
        case failed(ControlSocketError)
    }

    static func probe(_ path: String) -> Probe {
        do {
            try connected(to: path).close()
            return .listening
        } catch {
            return error.daemonAbsent ? .absent : .failed(error)
        }
    }

    /// A datagram socket `connect(2)`ed to `path`: `ECONNREFUSED` when nobody is bound there.
    private static func connected(to path: String) throws(ControlSocketError) -> UnixDatagramSocket {
        let socket: UnixDatagramSocket
        do {
            socket = try UnixDatagramSocket()
        } catch {
            throw ControlSocketError(call: "socket", path: path, errno: error.rawValue)
        }
        do {
            try socket.connect(to: .path(path))
        } catch {
            socket.close()
            throw ControlSocketError(call: "connect", path: path, errno: error.rawValue)
        }
        return socket
    }
}
