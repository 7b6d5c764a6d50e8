import Dispatch
import Synchronization

/// Suspends the iterator of a ``UdevMonitorSequence`` until the monitor's descriptor is
/// readable, using a `DispatchSourceRead` that is suspended whenever nobody waits.
///
/// Read sources are level-triggered: a source left running on a socket nobody reads
/// would fire without end. The event handler therefore suspends the source and wakes
/// the waiter; ``waitUntilReadable()`` resumes it. The kernel keeps queueing into the
/// socket buffer meanwhile, so a slow consumer pushes back on the socket (and
/// eventually sees ``UdevMonitorEvent/overflow``), not on memory.
final class ReadinessGate: Sendable {
    private struct State {
        var sourceSuspended = false
        var waiter: CheckedContinuation<Bool, Never>?
        var closed = false
    }

    private let state = Mutex(State())
    private nonisolated(unsafe) let source: any DispatchSourceRead

    /// - Parameter handle: kept alive by the source's cancel handler, so the descriptor
    ///   stays open until the source no longer watches it.
    init(handle: UdevMonitorHandle) {
        let queue = DispatchQueue(label: "aphotplug.udev-monitor")
        self.source = DispatchSource.makeReadSource(fileDescriptor: handle.descriptor, queue: queue)
        source.setEventHandler { [weak self] in self?.readable() }
        source.setCancelHandler { withExtendedLifetime(handle) {} }
    }

    /// Starts the source and returns once Dispatch has registered it with epoll.
    func register() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            source.setRegistrationHandler { continuation.resume() }
            source.resume()
        }
    }

    /// Returns true once the descriptor is readable, false when the waiting task was
    /// cancelled or the gate closed.
    func waitUntilReadable() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let refuse = state.withLock { state -> Bool in
                    if state.closed { return true }
                    precondition(state.waiter == nil, "Two tasks waited on one udev monitor; a UdevMonitorSequence has a single iterator.")
                    state.waiter = continuation
                    if state.sourceSuspended {
                        state.sourceSuspended = false
                        source.resume()
                    }
                    return false
                }
                if refuse { continuation.resume(returning: false) }
            }
        } onCancel: {
            close()
        }
    }

    /// Stops watching for good: wakes a waiter with false and cancels the source.
    func close() {
        let (waiter, wasSuspended) = state.withLock { state in
            let result = (state.waiter, state.sourceSuspended)
            state.closed = true
            state.waiter = nil
            state.sourceSuspended = false
            return result
        }
        waiter?.resume(returning: false)
        source.cancel()
        // A suspended source neither runs its cancel handler nor may be released.
        if wasSuspended { source.resume() }
    }

    private func readable() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard !state.closed else { return nil }
            if !state.sourceSuspended {
                state.sourceSuspended = true
                source.suspend()
            }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: true)
    }

    deinit { close() }
}
