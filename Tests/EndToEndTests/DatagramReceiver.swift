import Foundation
import Glibc
import Posix

/// A fake `$NOTIFY_SOCKET`: an `AF_UNIX` datagram socket bound to a path or an abstract
/// name, with a receive timeout.
final class DatagramReceiver {
    private let socket: UnixDatagramSocket
    private var isOpen = true
    /// The value to put in `NOTIFY_SOCKET`.
    let notifySocket: String
    private let path: String?

    /// Binds `path`, or the abstract name `name` when `path` is nil.
    init(path: String? = nil, abstractName: String? = nil) throws {
        socket = try UnixDatagramSocket()
        if let path {
            notifySocket = path
        } else {
            notifySocket = "@" + (abstractName ?? "aphotplug-test-\(UUID().uuidString)")
        }
        self.path = path
        do {
            try socket.bind(to: UnixSocketAddress(notation: notifySocket))
        } catch {
            socket.close()
            throw POSIXError(POSIXErrorCode(rawValue: error.rawValue) ?? .EIO)
        }
        try? socket.setReceiveTimeout(.seconds(2))
    }

    deinit {
        if isOpen { socket.close() }
        if let path { unlink(path) }
    }

    /// Closes the socket but leaves its file: a listener that has gone away.
    func closeKeepingFile() {
        socket.close()
        isOpen = false
    }

    /// The next datagram as text, or nil after the timeout.
    func receive() -> String? {
        (try? socket.receive(capacity: 4096)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether a datagram is waiting right now.
    var hasPending: Bool { (try? socket.receive(capacity: 1, peek: true, wait: false)) != nil }
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
