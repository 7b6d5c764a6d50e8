internal import Glibc

/// The netlink multicast groups libudev names in `udev_monitor_new_from_netlink(udev, name)`.
///
/// libudev's own spelling (`"udev"`, `"kernel"`) stays in this namespace; the
/// rest of the package uses ``UdevMonitorConfiguration/Source``.
enum NetlinkGroupName {
    /// `"udev"`: events re-broadcast by systemd-udevd after rule processing.
    static let udev = "udev"
    /// `"kernel"`: raw kernel uevents (`NETLINK_KOBJECT_UEVENT` group 1).
    static let kernel = "kernel"
}

/// The errno values `udev_monitor_receive_device()` and the enumerator report,
/// bound once to the C constants (style: no C names in the shell).
enum ReceiveErrno {
    /// Nothing queued, or every queued message was filtered out: wait for readability.
    static let again = EAGAIN
    /// Same as `again` on Linux; listed because POSIX allows a distinct value.
    static let wouldBlock = EWOULDBLOCK
    /// Interrupted by a signal handler: retry at once.
    static let interrupted = EINTR
    /// A message libudev rejected (unknown `ACTION`, malformed properties): skip it.
    static let invalid = EINVAL
    /// The socket's receive queue overflowed: the kernel dropped events.
    static let noBufferSpace = ENOBUFS
    /// A closed or foreign descriptor: can only be a bug of ours.
    static let badDescriptor = EBADF
    /// A bad buffer address: can only be a bug (ours or libudev's).
    static let fault = EFAULT
    /// The descriptor is not a socket: can only be a bug of ours.
    static let notSocket = ENOTSOCK
}

/// File status flags for the monitor descriptor (`fcntl(2)`).
enum DescriptorFlags {
    static let getStatus = F_GETFL
    static let setStatus = F_SETFL
    static let nonBlocking = O_NONBLOCK
}

/// Socket options read back to report the effective receive buffer.
enum SocketOption {
    static let socketLevel = SOL_SOCKET
    static let receiveBuffer = SO_RCVBUF
}
