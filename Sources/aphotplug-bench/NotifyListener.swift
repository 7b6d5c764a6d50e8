import Glibc
import Posix

/// A `NOTIFY_SOCKET` for a program under benchmark: an `AF_UNIX` datagram socket bound
/// at a path, read until `READY=1` arrives (sd_notify(3)).
final class NotifyListener {
    let path: String
    private let socket: UnixDatagramSocket

    init(path: String) throws {
        self.path = path
        unlink(path)
        do {
            socket = try UnixDatagramSocket()
        } catch {
            throw BenchError("socket(AF_UNIX): \(error)")
        }
        guard UnixSocketAddress.path(path).fits else { throw BenchError("\(path) is too long for sun_path") }
        do {
            try socket.bind(to: .path(path))
        } catch {
            throw BenchError("bind \(path): \(error)")
        }
    }

    deinit {
        socket.close()
        unlink(path)
    }

    /// Waits up to `timeout` for a datagram with the line `READY=1`; true when it came.
    func waitForReady(timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            var entry = pollfd(fd: socket.descriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
            guard poll(&entry, 1, milliseconds) > 0 else { continue }
            guard let datagram = try? socket.receive(capacity: 4096), !datagram.isEmpty else { continue }
            if String(decoding: datagram, as: UTF8.self).split(separator: "\n").contains("READY=1") { return true }
        }
        return false
    }
}
