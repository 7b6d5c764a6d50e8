internal import Glibc

/// An `AF_UNIX` datagram socket (`SOCK_DGRAM | SOCK_CLOEXEC`): the one socket type
/// for sd_notify, the journal, the control socket, the benchmark and the tests.
///
/// A value that names a descriptor; whoever made it calls ``close()`` once.
/// Every call retries `EINTR` (``Posix/retrying(_:)``) and throws the ``Errno``.
/// Sends pass `MSG_NOSIGNAL`: a receiver that is gone is an error, never `SIGPIPE`.
public struct UnixDatagramSocket: Sendable {
    /// The descriptor, for a `DispatchSource` or `poll(2)`.
    public let descriptor: Int32

    /// `socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC [| SOCK_NONBLOCK], 0)`.
    public init(nonBlocking: Bool = false) throws(Errno) {
        var type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if nonBlocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        descriptor = try Posix.retrying { socket(AF_UNIX, type, 0) }
    }

    /// `close(2)`.
    public func close() { _ = Glibc.close(descriptor) }

    /// `bind(2)` to `address`; `ENAMETOOLONG` when it does not fit.
    public func bind(to address: UnixSocketAddress) throws(Errno) {
        _ = try address.withSockaddr { (pointer, length) throws(Errno) in
            try Posix.retrying { Glibc.bind(descriptor, pointer, length) }
        }
    }

    /// `connect(2)` to `address`: `ECONNREFUSED` when nobody is bound there.
    public func connect(to address: UnixSocketAddress) throws(Errno) {
        _ = try address.withSockaddr { (pointer, length) throws(Errno) in
            try Posix.retrying { Glibc.connect(descriptor, pointer, length) }
        }
    }

    /// `send(2)` of one datagram on a connected socket.
    public func send(_ bytes: [UInt8]) throws(Errno) {
        _ = try bytes.withUnsafeBytes { buffer in
            Result { () throws(Errno) in try Posix.retrying { Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) } }
        }.get()
    }

    /// `sendto(2)` of one datagram to `address`; `ENAMETOOLONG` when it does not fit.
    public func send(_ bytes: [UInt8], to address: UnixSocketAddress) throws(Errno) {
        _ = try address.withSockaddr { (pointer, length) throws(Errno) in
            try bytes.withUnsafeBytes { buffer in
                Result { () throws(Errno) in
                    try Posix.retrying { sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), pointer, length) }
                }
            }.get()
        }
    }

    /// `recv(2)` of one datagram into `buffer`; its length (cut to the buffer).
    ///
    /// - Parameters:
    ///   - peek: `MSG_PEEK`, leave it queued.
    ///   - wait: false for `MSG_DONTWAIT` (then `EAGAIN` when nothing is queued).
    public func receive(into buffer: UnsafeMutableRawBufferPointer, peek: Bool = false, wait: Bool = true) throws(Errno) -> Int {
        var flags: Int32 = 0
        if peek { flags |= Int32(MSG_PEEK) }
        if !wait { flags |= Int32(MSG_DONTWAIT) }
        return try Posix.retrying { recv(descriptor, buffer.baseAddress, buffer.count, flags) }
    }

    /// ``receive(into:peek:wait:)`` into a new buffer of `capacity` bytes.
    public func receive(capacity: Int, peek: Bool = false, wait: Bool = true) throws(Errno) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let count = try buffer.withUnsafeMutableBytes { raw in
            Result { () throws(Errno) in try receive(into: raw, peek: peek, wait: wait) }
        }.get()
        return Array(buffer[..<count])
    }

    // MARK: Options

    /// `SO_SNDTIMEO`: how long a send may wait for queue space (then `EAGAIN`).
    public func setSendTimeout(_ timeout: Duration) throws(Errno) { try setTimeout(SO_SNDTIMEO, timeout) }

    /// `SO_RCVTIMEO`: how long a receive may wait (then `EAGAIN`).
    public func setReceiveTimeout(_ timeout: Duration) throws(Errno) { try setTimeout(SO_RCVTIMEO, timeout) }

    /// `SO_SNDBUF`.
    public func setSendBufferSize(_ bytes: Int32) throws(Errno) { try setOption(SO_SNDBUF, bytes) }

    /// `SO_PASSCRED`: every received datagram carries its sender's credentials
    /// (``receiveWithCredentials(into:)``).
    public func enableCredentials() throws(Errno) { try setOption(SO_PASSCRED, 1) }

    private func setTimeout(_ option: Int32, _ timeout: Duration) throws(Errno) {
        var value = timeval(
            tv_sec: Int(timeout.components.seconds),
            tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        _ = try Posix.retrying { setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size)) }
    }

    private func setOption(_ option: Int32, _ value: Int32) throws(Errno) {
        var value = value
        _ = try Posix.retrying { setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }
}
