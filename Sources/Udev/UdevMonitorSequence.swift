import Synchronization

/// The events of a libudev monitor as an `AsyncSequence`: armed before you get it.
///
/// Creating the sequence creates the monitor (`udev_monitor_new_from_netlink()`), adds
/// the subsystem filters, sets the receive buffer, binds the socket
/// (`udev_monitor_enable_receiving()`), makes it non-blocking and waits until a
/// `DispatchSourceRead` on `udev_monitor_get_fd()` is registered. Every event from that
/// moment on is queued, so a caller arms the monitor first, then enumerates, then
/// iterates to drain what arrived meanwhile (design.md, "Reliability rules";
/// the shape of swift-service-lifecycle's `UnixSignalsSequence`).
///
/// The sequence never ends on a receive error: `ENOBUFS` becomes
/// ``UdevMonitorEvent/overflow``, other unexpected errnos
/// ``UdevMonitorEvent/receiveFailed(_:)``. It ends (returns nil) only when the iterating
/// task is cancelled. One iterator per sequence; the monitor closes when the sequence
/// and its iterator are gone.
public struct UdevMonitorSequence: AsyncSequence, Sendable {
    public typealias Element = UdevMonitorEvent
    public typealias Failure = Never

    private let storage: Storage

    /// The configuration the monitor was created with.
    public var configuration: UdevMonitorConfiguration { storage.configuration }

    /// The socket's receive buffer as the kernel reports it (`SO_RCVBUF`, which is twice
    /// the requested size when the request was granted in full).
    public var effectiveReceiveBufferSize: Int { storage.handle.effectiveReceiveBufferSize }

    /// Creates, filters, enables and watches a monitor.
    ///
    /// - Throws: ``UdevError`` when libudev cannot create, filter or bind the monitor.
    public init(configuration: UdevMonitorConfiguration = UdevMonitorConfiguration()) async throws(UdevError) {
        let handle = try UdevMonitorHandle(configuration: configuration)
        let gate = ReadinessGate(handle: handle)
        await gate.register()
        self.storage = Storage(configuration: configuration, handle: handle, gate: gate)
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let alreadyIterated = storage.iteratorMade.exchange(true, ordering: .relaxed)
        precondition(!alreadyIterated, "A UdevMonitorSequence was iterated twice; it has a single consumer.")
        return AsyncIterator(storage: storage)
    }

    /// Receives the monitor's events one by one.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let storage: Storage

        fileprivate init(storage: Storage) { self.storage = storage }

        /// The next event; nil only once the iterating task is cancelled.
        public mutating func next() async -> UdevMonitorEvent? {
            while !Task.isCancelled {
                switch storage.handle.receive() {
                case .event(let event):
                    return event
                case .wouldBlock:
                    guard await storage.gate.waitUntilReadable() else { return nil }
                }
            }
            return nil
        }

        /// The next event already queued on the socket, or nil without waiting when none
        /// is. For draining the backlog that built up during enumeration before reporting
        /// readiness; ``next()`` then continues with live events.
        public mutating func nextAvailable() -> UdevMonitorEvent? {
            switch storage.handle.receive() {
            case .event(let event): return event
            case .wouldBlock: return nil
            }
        }
    }

    fileprivate final class Storage: Sendable {
        let configuration: UdevMonitorConfiguration
        let handle: UdevMonitorHandle
        let gate: ReadinessGate
        let iteratorMade = Atomic<Bool>(false)

        init(configuration: UdevMonitorConfiguration, handle: UdevMonitorHandle, gate: ReadinessGate) {
            self.configuration = configuration
            self.handle = handle
            self.gate = gate
        }

        deinit { gate.close() }
    }
}
