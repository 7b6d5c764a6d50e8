internal import Glibc

/// A libudev call that failed, with the C function's name and the errno it set.
///
/// Shaped like swift-nio's `FileSystemError`: a switchable ``code``, the C symbol
/// (``function``), the raw ``errno`` and a readable ``description``.
public struct UdevError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What the failed call was trying to do.
    public enum Code: Hashable, Sendable {
        /// `udev_new()` returned NULL (out of memory).
        case contextUnavailable
        /// `udev_monitor_new_from_netlink()` returned NULL: no netlink socket (permissions, seccomp, no memory).
        case monitorUnavailable
        /// `udev_monitor_filter_add_match_subsystem_devtype()` failed.
        case filterRejected
        /// `udev_monitor_enable_receiving()` failed: the socket could not be bound or filtered.
        case enableFailed
        /// Setting up or scanning a `udev_enumerate` failed.
        case enumerationFailed
        /// `udev_device_new_from_*()` found no such device.
        case deviceNotFound
        /// `udev_monitor_receive_device()` failed with an errno that is neither
        /// "nothing queued", "interrupted", "invalid message" nor "overflow".
        case receiveFailed
    }

    /// What failed.
    public var code: Code
    /// The libudev (or libc) function that failed, e.g. `udev_monitor_enable_receiving`.
    public var function: String
    /// The errno it reported (0 when libudev gave none).
    public var errno: Int32

    public init(code: Code, function: String, errno: Int32) {
        self.code = code
        self.function = function
        self.errno = errno
    }

    /// `udev_monitor_enable_receiving failed: Permission denied (errno 13)`.
    public var description: String {
        guard errno != 0 else { return "\(function) failed" }
        return "\(function) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
