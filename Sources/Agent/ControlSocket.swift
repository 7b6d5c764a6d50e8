import Dispatch
internal import Glibc

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
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw ControlSocketError(call: "socket", path: path, errno: errno) }
        guard ControlDatagram.enableCredentials(descriptor) else {
            let error = errno
            Glibc.close(descriptor)
            throw ControlSocketError(call: "setsockopt(SO_PASSCRED)", path: path, errno: error)
        }
        let bound = ControlAddress.withAddress(path) { bind(descriptor, $0, $1) }
        guard let bound, bound == 0 else {
            let error = bound == nil ? ENAMETOOLONG : errno
            Glibc.close(descriptor)
            throw ControlSocketError(call: "bind", path: path, errno: error)
        }
        guard chmod(path, 0o600) == 0 else {
            let error = errno
            Glibc.close(descriptor)
            throw ControlSocketError(call: "chmod", path: path, errno: error)
        }
        let (stream, continuation) = AsyncStream<Datagram>.makeStream()
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "aphotplug.control"))
        source.setEventHandler {
            // One byte more than a message may have: MSG_TRUNC tells a longer one anyway.
            var buffer = [UInt8](repeating: 0, count: Self.maximumMessageSize + 1)
            while true {
                switch ControlDatagram.receive(descriptor, into: &buffer) {
                case .message(let text): continuation.yield(.message(text))
                case .refused(let reason): continuation.yield(.refused(reason))
                case .drained: return
                }
            }
        }
        source.setCancelHandler {
            Glibc.close(descriptor)
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
        let descriptor = try connected(to: path)
        defer { Glibc.close(descriptor) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(message.utf8)
        guard bytes.count <= ControlSocket.maximumMessageSize else {
            throw ControlSocketError(call: "send", path: path, errno: EMSGSIZE)
        }
        while true {
            let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
            if sent >= 0 { return }
            if errno == EINTR { continue }
            throw ControlSocketError(call: "send", path: path, errno: errno)
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
            Glibc.close(try connected(to: path))
            return .listening
        } catch {
            return error.daemonAbsent ? .absent : .failed(error)
        }
    }

    /// A datagram socket `connect(2)`ed to `path`: `ECONNREFUSED` when nobody is bound there.
    private static func connected(to path: String) throws(ControlSocketError) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ControlSocketError(call: "socket", path: path, errno: errno) }
        while true {
            let result = ControlAddress.withAddress(path) { connect(descriptor, $0, $1) }
            guard let result else {
                Glibc.close(descriptor)
                throw ControlSocketError(call: "connect", path: path, errno: ENAMETOOLONG)
            }
            if result == 0 { return descriptor }
            let error = errno
            if error == EINTR { continue }
            Glibc.close(descriptor)
            throw ControlSocketError(call: "connect", path: path, errno: error)
        }
    }
}

/// `sockaddr_un` for a filesystem path.
enum ControlAddress {
    /// Calls `body` with the address and its length; nil when `path` does not fit `sun_path`.
    static func withAddress<Result>(
        _ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
    ) -> Result? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8) + [0]
        guard bytes.count <= MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
