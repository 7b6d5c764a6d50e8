internal import Glibc

/// `struct ucred`: a datagram sender's pid, uid and gid (`SCM_CREDENTIALS`).
public struct PeerCredentials: Hashable, Sendable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32
}

/// One datagram received with ``UnixDatagramSocket/receiveWithCredentials(into:)``.
public struct CredentialedDatagram: Hashable, Sendable {
    /// The datagram's real length (`MSG_TRUNC`), which may exceed the buffer.
    public var length: Int
    /// Whether the datagram was longer than the buffer and was cut.
    public var truncated: Bool
    /// The sender's credentials; nil when the datagram carried none.
    public var credentials: PeerCredentials?
}

extension UnixDatagramSocket {
    /// `SCM_CREDENTIALS` (`<bits/socket.h>`, `__USE_GNU`, which Swift's Glibc does not import).
    static let credentialsMessageType: Int32 = 2

    /// Receives one datagram without waiting (`recvmsg(2)` with `MSG_TRUNC | MSG_DONTWAIT`)
    /// and the sender's credentials, which ``enableCredentials()`` makes the kernel attach.
    ///
    /// - Throws: `EAGAIN` when nothing is queued; another ``Errno`` when the socket failed.
    public func receiveWithCredentials(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> CredentialedDatagram {
        var control = [UInt64](repeating: 0, count: 8)  // 64 bytes, 8-aligned: room for one SCM_CREDENTIALS
        var flags: Int32 = 0
        var controlLength = 0
        let length = try control.withUnsafeMutableBytes { controlBytes in Result { () throws(Errno) -> Int in
            var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
            return try withUnsafeMutablePointer(to: &vector) { (vectorPointer) throws(Errno) -> Int in
                try Posix.retrying {
                    var header = msghdr()
                    header.msg_iov = vectorPointer
                    header.msg_iovlen = 1
                    header.msg_control = controlBytes.baseAddress
                    header.msg_controllen = controlBytes.count
                    let length = recvmsg(descriptor, &header, Int32(MSG_TRUNC) | Int32(MSG_DONTWAIT))
                    flags = header.msg_flags
                    controlLength = header.msg_controllen
                    return length
                }
            }
        } }.get()
        let credentials = control.withUnsafeBytes { Self.credentials(in: $0, length: controlLength) }
        return CredentialedDatagram(length: length, truncated: flags & Int32(MSG_TRUNC) != 0, credentials: credentials)
    }

    /// The `SCM_CREDENTIALS` in a control buffer (`CMSG_FIRSTHDR`/`CMSG_NXTHDR` by hand:
    /// the macros do not import): headers of `cmsg_len`, level, type, data aligned to 8.
    private static func credentials(in control: UnsafeRawBufferPointer, length: Int) -> PeerCredentials? {
        let headerSize = MemoryLayout<cmsghdr>.size
        var offset = 0
        while offset + headerSize <= min(length, control.count) {
            let header = control.loadUnaligned(fromByteOffset: offset, as: cmsghdr.self)
            let size = Int(header.cmsg_len)
            guard size >= headerSize, offset + size <= control.count else { return nil }
            if header.cmsg_level == SOL_SOCKET && header.cmsg_type == credentialsMessageType
                && size >= headerSize + 12 {
                return PeerCredentials(
                    pid: control.loadUnaligned(fromByteOffset: offset + headerSize, as: Int32.self),
                    uid: control.loadUnaligned(fromByteOffset: offset + headerSize + 4, as: UInt32.self),
                    gid: control.loadUnaligned(fromByteOffset: offset + headerSize + 8, as: UInt32.self))
            }
            offset += (size + 7) & ~7
        }
        return nil
    }
}
