internal import Glibc
import Posix

/// Receiving one control datagram with its sender's credentials (`recvmsg(2)`
/// with `MSG_TRUNC`, `SCM_CREDENTIALS` from `SO_PASSCRED`), and judging it.
///
/// The socket's file mode (0600) keeps other users out, and the credentials
/// check holds even if the mode or the directory were wrong: only root and the
/// daemon's own user may send. A datagram longer than the buffer is detected by
/// `MSG_TRUNC` (which makes `recvmsg` return the real length) and reported, never
/// passed on cut.
enum ControlDatagram {
    /// What one receive found.
    enum Received {
        /// A datagram from an allowed sender.
        case message(String)
        /// A datagram that was dropped, and why.
        case refused(String)
        /// Nothing more to read now (`EAGAIN`), or the socket failed.
        case drained
    }

    /// Whether `uid` may talk to the daemon: root, or the user the daemon runs as.
    static func isAllowed(uid: UInt32) -> Bool { uid == 0 || uid == geteuid() }

    /// Receives one datagram into `buffer` (which must hold one byte more than
    /// ``ControlSocket/maximumMessageSize``).
    static func receive(_ socket: UnixDatagramSocket, into buffer: inout [UInt8]) -> Received {
        let received: CredentialedDatagram
        do {
            received = try buffer.withUnsafeMutableBytes { data in Result { () throws(Errno) in try socket.receiveWithCredentials(into: data) } }.get()
        } catch {
            return .drained
        }
        let length = received.length
        guard let credentials = received.credentials else {
            return .refused("a datagram of \(length) bytes without sender credentials was dropped")
        }
        guard isAllowed(uid: credentials.uid) else {
            return .refused("a datagram of \(length) bytes from uid \(credentials.uid) (pid \(credentials.pid)) was dropped: "
                            + "only root and uid \(geteuid()) may send")
        }
        guard !received.truncated, length <= ControlSocket.maximumMessageSize else {
            return .refused("a datagram of \(length) bytes from pid \(credentials.pid) was dropped: larger than "
                            + "\(ControlSocket.maximumMessageSize) bytes, the control socket's limit")
        }
        return .message(String(decoding: buffer[..<length], as: UTF8.self))
    }
}
