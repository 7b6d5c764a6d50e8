internal import CUdev
internal import Glibc

/// Owns a configured, enabled `struct udev_monitor *` and the `struct udev *` it came
/// from, and unreferences both (closing the socket) when released.
///
/// Only the single iterator of a ``UdevMonitorSequence`` calls ``receive()``, one call
/// at a time, which is what libudev requires; the read source only watches the
/// descriptor. Hence `@unchecked Sendable`.
final class UdevMonitorHandle: @unchecked Sendable {
    private let udev: OpaquePointer
    private let monitor: OpaquePointer
    /// `udev_monitor_get_fd()`, non-blocking.
    let descriptor: Int32
    /// `SO_RCVBUF` as the kernel reports it after setup (twice the usable size).
    let effectiveReceiveBufferSize: Int

    /// Creates the monitor, attaches the filters, sizes the buffer and binds the socket
    /// (`udev_monitor_enable_receiving()`): from here on the kernel queues events.
    init(configuration: UdevMonitorConfiguration) throws(UdevError) {
        guard let udev = udev_new() else {
            throw UdevError(code: .contextUnavailable, function: "udev_new", errno: Glibc.errno)
        }
        guard let monitor = udev_monitor_new_from_netlink(udev, configuration.source.name) else {
            let code = Glibc.errno
            udev_unref(udev)
            throw UdevError(code: .monitorUnavailable, function: "udev_monitor_new_from_netlink", errno: code)
        }
        self.udev = udev
        self.monitor = monitor
        // From here on deinit releases both on every exit path.
        self.descriptor = udev_monitor_get_fd(monitor)
        for subsystem in configuration.subsystems {
            let result = udev_monitor_filter_add_match_subsystem_devtype(monitor, subsystem, nil)
            guard result >= 0 else {
                self.effectiveReceiveBufferSize = 0
                throw UdevError(code: .filterRejected, function: "udev_monitor_filter_add_match_subsystem_devtype", errno: -result)
            }
        }
        // A failure here (EPERM without CAP_NET_ADMIN) leaves the largest buffer the kernel allowed.
        _ = udev_monitor_set_receive_buffer_size(monitor, Int32(clamping: configuration.receiveBufferSize))
        let enabled = udev_monitor_enable_receiving(monitor)
        guard enabled >= 0 else {
            self.effectiveReceiveBufferSize = 0
            throw UdevError(code: .enableFailed, function: "udev_monitor_enable_receiving", errno: -enabled)
        }
        Self.makeNonBlocking(descriptor)
        self.effectiveReceiveBufferSize = Self.receiveBufferSize(of: descriptor)
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// What one non-blocking receive produced.
    enum Received {
        case event(UdevMonitorEvent)
        /// Nothing is queued (`EAGAIN`): wait until the descriptor is readable.
        case wouldBlock
    }

    /// Wraps `udev_monitor_receive_device()`: returns the next event, `.overflow`, an
    /// unexpected error, or `.wouldBlock`. Interrupted calls and messages libudev rejects
    /// (`EINVAL`: unknown `ACTION`, broken properties) are skipped.
    func receive() -> Received {
        while true {
            Glibc.errno = 0
            if let device = udev_monitor_receive_device(monitor) {
                defer { udev_device_unref(device) }
                return .event(.uevent(UdevDevice(pointer: device).uevent))
            }
            let code = Glibc.errno
            switch code {
            case ReceiveErrno.again, ReceiveErrno.wouldBlock:
                return .wouldBlock
            case ReceiveErrno.interrupted, ReceiveErrno.invalid:
                continue
            case ReceiveErrno.noBufferSpace:
                return .event(.overflow)
            case ReceiveErrno.badDescriptor, ReceiveErrno.fault, ReceiveErrno.notSocket:
                preconditionFailure("udev_monitor_receive_device failed with errno \(code): the monitor's socket was closed or corrupted while it was still in use.")
            default:
                return .event(.receiveFailed(UdevError(code: .receiveFailed, function: "udev_monitor_receive_device", errno: code)))
            }
        }
    }

    private static func makeNonBlocking(_ descriptor: Int32) {
        let flags = fcntl(descriptor, DescriptorFlags.getStatus)
        precondition(flags >= 0, "fcntl(F_GETFL) failed on the monitor socket libudev just created (errno \(Glibc.errno)).")
        if flags & DescriptorFlags.nonBlocking == 0 {
            let result = fcntl(descriptor, DescriptorFlags.setStatus, flags | DescriptorFlags.nonBlocking)
            precondition(result >= 0, "fcntl(F_SETFL, O_NONBLOCK) failed on the monitor socket (errno \(Glibc.errno)).")
        }
    }

    private static func receiveBufferSize(of descriptor: Int32) -> Int {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SocketOption.socketLevel, SocketOption.receiveBuffer, &value, &length) == 0 else {
            return 0
        }
        return Int(value)
    }
}
