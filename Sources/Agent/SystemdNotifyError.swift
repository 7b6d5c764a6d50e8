/// Why an sd_notify message could not be sent. Never fatal for the daemon: log it and go on.
public struct SystemdNotifyError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// `NOTIFY_SOCKET` is neither an absolute path nor an `@` abstract name
        /// (e.g. a `vsock:` address, which aphotplug does not speak).
        case unsupportedAddress
        /// The address does not fit `sockaddr_un.sun_path` (108 bytes).
        case addressTooLong
        /// `socket(AF_UNIX, SOCK_DGRAM)` failed (descriptor or memory limits).
        case socketFailed
        /// `sendto()` failed: the manager is gone (`ECONNREFUSED`, `ENOENT`), its queue
        /// stayed full past the send timeout (`EAGAIN`), or policy refused it (`EPERM`).
        case sendFailed
    }

    public var code: Code
    /// `NOTIFY_SOCKET` as given.
    public var address: String
    /// The errno, 0 for address errors.
    public var errno: Int32

    public init(code: Code, address: String, errno: Int32 = 0) {
        self.code = code
        self.address = address
        self.errno = errno
    }

    public var description: String {
        switch code {
        case .unsupportedAddress: return "NOTIFY_SOCKET=\(address) is not an absolute path or @abstract name"
        case .addressTooLong: return "NOTIFY_SOCKET=\(address) is longer than a unix socket address"
        case .socketFailed: return "socket(AF_UNIX, SOCK_DGRAM) failed: \(errnoText(errno)) (errno \(errno))"
        case .sendFailed: return "sendto(\(address)) failed: \(errnoText(errno)) (errno \(errno))"
        }
    }
}
