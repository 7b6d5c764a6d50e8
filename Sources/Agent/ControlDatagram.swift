internal import Glibc

/// Receiving one control datagram with its sender's credentials (`recvmsg(2)`
/// with `MSG_TRUNC`, `SCM_CREDENTIALS` from `SO_PASSCRED`), and judging it.
///
/// The socket's file mode (0600) keeps other users out, and the credentials
/// check holds even if the mode or the directory were wrong: only root and the
/// daemon's own user may send. A datagram longer than the buffer is detected by
/// `MSG_TRUNC` (which makes `recvmsg` return the real length) and reported, never
/// passed on cut.
enum ControlDatagram {
    /// `SCM_CREDENTIALS` (`<bits/socket.h>`, `__USE_GNU`, which Swift's Glibc does not import).
    static let credentialsMessageType: Int32 = 2
    /// `struct ucred`: pid, uid, gid.
    struct Credentials {
        var pid: Int32
        var uid: UInt32
        var gid: UInt32
    }

    /// What one receive found.
    enum Received {
        /// A datagram from an allowed sender.
        case message(String)
        /// A datagram that was dropped, and why.
        case refused(String)
        /// Nothing more to read now (`EAGAIN`), or the socket failed.
        case drained
    }

    /// Turns on `SO_PASSCRED`, so that every datagram carries its sender's credentials.
    static func enableCredentials(_ descriptor: Int32) -> Bool {
        var on: Int32 = 1
        return setsockopt(descriptor, SOL_SOCKET, SO_PASSCRED, &on, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// Whether `uid` may talk to the daemon: root, or the user the daemon runs as.
    static func isAllowed(uid: UInt32) -> Bool { uid == 0 || uid == geteuid() }

    /// Receives one datagram into `buffer` (which must hold one byte more than
    /// ``ControlSocket/maximumMessageSize``).
    static func receive(_ descriptor: Int32, into buffer: inout [UInt8]) -> Received {
        var control = [UInt64](repeating: 0, count: 8)  // 64 bytes, 8-aligned: room for one SCM_CREDENTIALS
        while true {
            var length = 0
            var flags: Int32 = 0
            var controlLength = 0
            buffer.withUnsafeMutableBytes { data in
                control.withUnsafeMutableBytes { controlBytes in
                    var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
                    withUnsafeMutablePointer(to: &vector) { vectorPointer in
                        var header = msghdr()
                        header.msg_iov = vectorPointer
                        header.msg_iovlen = 1
                        header.msg_control = controlBytes.baseAddress
                        header.msg_controllen = controlBytes.count
                        length = recvmsg(descriptor, &header, Int32(MSG_TRUNC) | Int32(MSG_DONTWAIT))
                        flags = header.msg_flags
                        controlLength = header.msg_controllen
                    }
                }
            }
            if length < 0 {
                if errno == EINTR { continue }
                return .drained
            }
            let credentials = control.withUnsafeBytes { Self.credentials(in: $0, length: controlLength) }
            guard let credentials else {
                return .refused("a datagram of \(length) bytes without sender credentials was dropped")
            }
            guard isAllowed(uid: credentials.uid) else {
                return .refused("a datagram of \(length) bytes from uid \(credentials.uid) (pid \(credentials.pid)) was dropped: "
                                + "only root and uid \(geteuid()) may send")
            }
            guard flags & Int32(MSG_TRUNC) == 0, length <= ControlSocket.maximumMessageSize else {
                return .refused("a datagram of \(length) bytes from pid \(credentials.pid) was dropped: larger than "
                                + "\(ControlSocket.maximumMessageSize) bytes, the control socket's limit")
            }
            return .message(String(decoding: buffer[..<length], as: UTF8.self))
        }
    }

    /// The `SCM_CREDENTIALS` in a control buffer (`CMSG_FIRSTHDR`/`CMSG_NXTHDR` by hand:
    /// the macros do not import): headers of `cmsg_len`, level, type, data aligned to 8.
    private static func credentials(in control: UnsafeRawBufferPointer, length: Int) -> Credentials? {
        let headerSize = MemoryLayout<cmsghdr>.size
        var offset = 0
        while offset + headerSize <= min(length, control.count) {
            let header = control.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            let size = Int(header.cmsg_len)
            guard size >= headerSize, offset + size <= control.count else { return nil }
            if header.cmsg_level == SOL_SOCKET && header.cmsg_type == credentialsMessageType
                && size >= headerSize + MemoryLayout<Credentials>.size {
                return control.loadUnaligned(fromByteOffset: offset + headerSize, as: Credentials.self)
            }
            offset += (size + 7) & ~7
        }
        return nil
    }
}
