internal import Glibc

/// Socket constants for the sd_notify datagram (`unix(7)`), bound once to the C values.
enum UnixDatagram {
    static let family = sa_family_t(AF_UNIX)
    static let domain = AF_UNIX
    static let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    /// Do not raise SIGPIPE when the receiver is gone.
    static let sendFlags = Int32(MSG_NOSIGNAL)
    static let socketLevel = SOL_SOCKET
    static let sendTimeout = SO_SNDTIMEO
    /// `sizeof(sockaddr_un.sun_path)`: 108 bytes on Linux, the NUL included for paths.
    static let pathCapacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
    /// `offsetof(struct sockaddr_un, sun_path)`.
    static let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)!
}

/// The errno values the notifier and the lock tell apart.
enum KnownErrno {
    static let interrupted = EINTR
    static let exists = EEXIST
    static let noEntry = ENOENT
    static let noSuchProcess = ESRCH
    static let notPermitted = EPERM
    static let badDescriptor = EBADF
    static let fault = EFAULT
    static let notSocket = ENOTSOCK
    static let invalid = EINVAL
}

/// `open(2)` flags and modes used by the lock file protocol.
enum LockFileFlags {
    static let createExclusive = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC
    static let readOnly = O_RDONLY | O_CLOEXEC
    /// 0644, as s390-tools creates it.
    static let mode: mode_t = 0o644
}

/// Human text for an errno (`strerror(3)`).
func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }
