internal import Glibc

/// An error number from a failed system call, typed (as swift-system's `Errno`,
/// kept small and our own so that the fuzz build, which compiles modules by hand,
/// needs no further package).
///
/// The C names stay here: the shell compares with the named values
/// (`Errno.noEntry`), and `description` is `strerror(3)`.
public struct Errno: Error, Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno` right now.
    public static var current: Errno { Errno(rawValue: Glibc.errno) }

    /// `strerror(3)`.
    public var description: String { String(cString: strerror(rawValue)) }

    /// `EINTR`: a signal handler ran; ``Posix/retrying(_:)`` retries it.
    public static let interrupted = Errno(rawValue: EINTR)
    /// `ENOENT`.
    public static let noEntry = Errno(rawValue: ENOENT)
    /// `EIO`.
    public static let ioError = Errno(rawValue: EIO)
    /// `EAGAIN` (`EWOULDBLOCK` on Linux).
    public static let wouldBlock = Errno(rawValue: EAGAIN)
    /// `ENAMETOOLONG`: here also a socket address that does not fit `sun_path`.
    public static let nameTooLong = Errno(rawValue: ENAMETOOLONG)
    /// `EBADF`: a closed or foreign descriptor, only ever a bug.
    public static let badDescriptor = Errno(rawValue: EBADF)
    /// `EFAULT`: a bad buffer address, only ever a bug.
    public static let fault = Errno(rawValue: EFAULT)
    /// `ENOTSOCK`: the descriptor is no socket, only ever a bug.
    public static let notSocket = Errno(rawValue: ENOTSOCK)
}
