import Dispatch
internal import Glibc

/// `<state-dir>/control.sock`: an `AF_UNIX` datagram socket (mode 0600) on which
/// the daemon receives guest notifications and the uevents `aphotplug handle`
/// forwards, one JSON trace record per datagram (``ControlMessage``):
/// `{"type":"guest","action":"attach","mdev":"<uuid>","name":"vm1"}`.
///
/// The datagrams arrive as an `AsyncStream` of their texts, read by a
/// `DispatchSourceRead` registered before the initializer returns.
public final class ControlSocket: Sendable {
    public static let name = "control.sock"

    /// The path of the socket in `stateDirectory`.
    public static func path(in stateDirectory: String) -> String { stateDirectory + "/" + name }

    /// The texts of received datagrams.
    public let messages: AsyncStream<String>
    /// Only `close()` touches it after `init`; DispatchSource is thread-safe.
    nonisolated(unsafe) private let source: any DispatchSourceRead
    private let path: String

    /// Binds the socket (replacing a stale one), sets mode 0600 and starts reading.
    ///
    /// - Throws: ``ControlSocketError`` with the failing call and errno.
    public init(stateDirectory: String) async throws(ControlSocketError) {
        let path = Self.path(in: stateDirectory)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { throw ControlSocketError(call: "socket", path: path, errno: errno) }
        unlink(path)
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
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let source = DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: DispatchQueue(label: "aphotplug.control"))
        source.setEventHandler {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { return }  // EAGAIN: drained.
                continuation.yield(String(decoding: buffer[..<count], as: UTF8.self))
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

    public var description: String {
        "\(call) \(path): \(String(cString: strerror(errno)))"
    }
}

/// Sends one message to a running daemon's control socket.
public enum ControlClient {
    /// Sends `message` as one datagram to `<stateDirectory>/control.sock`.
    ///
    /// - Throws: ``ControlSocketError``; ``ControlSocketError/daemonAbsent`` tells a
    ///   daemon that is not running from other failures.
    public static func send(_ message: String, stateDirectory: String) throws(ControlSocketError) {
        let path = ControlSocket.path(in: stateDirectory)
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw ControlSocketError(call: "socket", path: path, errno: errno) }
        defer { Glibc.close(descriptor) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(message.utf8)
        while true {
            let sent = ControlAddress.withAddress(path) { address, length in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, address, length) }
            }
            guard let sent else { throw ControlSocketError(call: "sendto", path: path, errno: ENAMETOOLONG) }
            if sent >= 0 { return }
            if errno == EINTR { continue }
            throw ControlSocketError(call: "sendto", path: path, errno: errno)
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
