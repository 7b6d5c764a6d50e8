import Foundation
import Glibc

/// A fake `$NOTIFY_SOCKET`: an `AF_UNIX` datagram socket bound to a path or an abstract
/// name, with a receive timeout.
final class DatagramReceiver {
    private(set) var descriptor: Int32
    /// The value to put in `NOTIFY_SOCKET`.
    let notifySocket: String
    private let path: String?

    /// Binds `path`, or the abstract name `name` when `path` is nil.
    init(path: String? = nil, abstractName: String? = nil) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8]
        if let path {
            bytes = Array(path.utf8) + [0]
            notifySocket = path
        } else {
            let name = abstractName ?? "aphotplug-test-\(UUID().uuidString)"
            bytes = [0] + Array(name.utf8)
            notifySocket = "@" + name
        }
        self.path = path
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if let path { unlink(path) }
    }

    /// Closes the socket but leaves its file: a listener that has gone away.
    func closeKeepingFile() {
        close(descriptor)
        descriptor = -1
    }

    /// The next datagram as text, or nil after the timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    /// Whether a datagram is waiting right now.
    var hasPending: Bool {
        var buffer = [UInt8](repeating: 0, count: 1)
        return recv(descriptor, &buffer, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) >= 0
    }
}

/// A fresh temporary directory, removed on deinit.
final class TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/aphp-test.XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.EIO)
        }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}
