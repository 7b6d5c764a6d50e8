import APModel
import Foundation
import Glibc
import Posix

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
    private let socket: UnixDatagramSocket
    private var listeners: [String] = []

    /// - Parameter sendTimeout: the longest one datagram may wait for queue space.
    public init(testbed: UmockdevTestbed, sendTimeout: Duration = .seconds(10)) throws {
        self.testbed = testbed
        do {
            socket = try UnixDatagramSocket()
        } catch {
            throw HarnessError.systemCall("socket(AF_UNIX, SOCK_DGRAM)", errno: error.rawValue)
        }
        do {
            try socket.setSendTimeout(sendTimeout)
        } catch {
            socket.close()
            throw HarnessError.systemCall("setsockopt(SO_SNDTIMEO)", errno: error.rawValue)
        }
    }

    deinit { socket.close() }

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
        precondition(UnixSocketAddress.path(path).fits, "Testbed socket path \(path) does not fit sun_path; the testbed directory must be short.")
        do {
            try socket.send(datagram, to: .path(path))
            return true
        } catch {
            switch error.rawValue {
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
