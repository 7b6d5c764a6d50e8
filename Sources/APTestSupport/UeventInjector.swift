import APModel
import Foundation
import Glibc

/// Sends uevents to every monitor a program under umockdev has armed: one
/// ``UeventDatagram`` per event to each `<testbed>/event<N>` socket
/// (testing-with-umockdev.md §4).
///
/// Sends block while a listener's queue is full (so bursts of any size arrive without
/// loss, unlike umockdev's own non-blocking sender, §5.4), bounded by a send timeout
/// so that a program that stopped reading fails the test instead of hanging it. A
/// socket whose listener has exited (`ECONNREFUSED`) is unlinked and skipped.
public final class UeventInjector {
    private let testbed: UmockdevTestbed
    private let descriptor: Int32
    private var listeners: [String] = []

    /// - Parameter sendTimeout: the longest one datagram may wait for queue space.
    public init(testbed: UmockdevTestbed, sendTimeout: Duration = .seconds(10)) throws {
        self.testbed = testbed
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError.systemCall("socket(AF_UNIX, SOCK_DGRAM)", errno: errno) }
        var timeout = timeval(
            tv_sec: Int(sendTimeout.components.seconds),
            tv_usec: Int(sendTimeout.components.attoseconds / 1_000_000_000_000))
        guard setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) == 0 else {
            let code = errno
            close(descriptor)
            throw HarnessError.systemCall("setsockopt(SO_SNDTIMEO)", errno: code)
        }
    }

    deinit { close(descriptor) }

    /// The sockets events go to; re-read from the testbed when empty.
    public var currentListeners: [String] {
        if listeners.isEmpty { listeners = testbed.listenerSockets }
        return listeners
    }

    /// Forgets the cached socket list (after the program restarted or armed another monitor).
    public func refreshListeners() { listeners = testbed.listenerSockets }

    /// Sends `event` to every listener; returns how many received it.
    ///
    /// - Throws: ``HarnessError/noListener(testbed:)`` when no monitor is armed,
    ///   ``HarnessError/sendTimedOut(socket:)`` when a listener stopped reading.
    @discardableResult
    public func send(_ event: Uevent) throws -> Int {
        let datagram = UeventDatagram.encode(event)
        let targets = currentListeners
        guard !targets.isEmpty else { throw HarnessError.noListener(testbed: testbed.root) }
        var delivered = 0
        for target in targets {
            if try sendDatagram(datagram, to: target) { delivered += 1 }
        }
        return delivered
    }

    /// Sends `events` in order.
    public func send(_ events: [Uevent]) throws {
        for event in events { try send(event) }
    }

    /// Sends to one socket; false when its listener is gone (the file is then removed).
    private func sendDatagram(_ datagram: [UInt8], to path: String) throws -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        precondition(pathBytes.count < capacity, "Testbed socket path \(path) does not fit sun_path; the testbed directory must be short.")
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes + [0]) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + pathBytes.count + 1)
        while true {
            let sent = datagram.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0, length)
                    }
                }
            }
            if sent >= 0 { return true }
            switch errno {
            case EINTR:
                continue
            case ECONNREFUSED, ENOENT:
                unlink(path)
                listeners.removeAll { $0 == path }
                return false
            case EAGAIN:
                throw HarnessError.sendTimedOut(socket: path)
            case let code:
                throw HarnessError.systemCall("sendto \(path)", errno: code)
            }
        }
    }
}
