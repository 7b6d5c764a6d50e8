internal import Glibc

/// An `AF_UNIX` address (`unix(7)`): a socket file, or a name in the abstract
/// namespace, which `NOTIFY_SOCKET` writes as `@name`.
public enum UnixSocketAddress: Hashable, Sendable {
    /// A socket file; in `sun_path` with its terminating NUL.
    case path(String)
    /// An abstract name, stored without the `@`; in `sun_path` after a leading NUL, without a terminating one.
    case abstract(String)

    /// `sizeof(sockaddr_un.sun_path)`: 108 bytes on Linux, a path's NUL included.
    public static let pathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    /// `@name` as ``abstract(_:)``, anything else as ``path(_:)``.
    public init(notation: String) {
        self = notation.hasPrefix("@") ? .abstract(String(notation.dropFirst())) : .path(notation)
    }

    /// The bytes of `sun_path`.
    var pathBytes: [UInt8] {
        switch self {
        case .path(let path): Array(path.utf8) + [0]
        case .abstract(let name): [0] + Array(name.utf8)
        }
    }

    /// Whether the address fits `sun_path`.
    public var fits: Bool { pathBytes.count <= Self.pathCapacity }

    /// Calls `body` with the `sockaddr_un` and its length (`offsetof(sun_path)` plus the name).
    ///
    /// - Throws: `ENAMETOOLONG` when the address does not fit ``pathCapacity``;
    ///   what `body` throws.
    func withSockaddr<Result>(
        _ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> Result
    ) throws(Errno) -> Result {
        let bytes = pathBytes
        guard bytes.count <= Self.pathCapacity else { throw .nameTooLong }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        let length = socklen_t(offset + bytes.count)
        return try withUnsafePointer(to: &address) { (pointer) throws(Errno) -> Result in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (socketAddress) throws(Errno) -> Result in
                try body(socketAddress, length)
            }
        }
    }
}
