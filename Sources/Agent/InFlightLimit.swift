import Synchronization

/// Bounds how many items one producer task may have handed to a consumer that has not
/// finished them yet: the producer calls ``acquire()`` before it hands one over (and
/// waits while `limit` are outstanding, until half of them are done), the consumer
/// ``release()`` once it is done with one.
///
/// The daemon's monitor task reads uevents into the stream its consumer drains. Without
/// a bound, a burst that the consumer handles more slowly than the socket delivers it
/// piles up in that stream, in the daemon's memory (a 131,072-event burst under 16
/// guests grew the daemon past 100 MiB). With it, the backlog stays in the socket's
/// receive buffer, where the kernel keeps it (and reports `ENOBUFS` if it overflows,
/// which the daemon answers with a rescan).
///
/// Once the acquiring task is cancelled, ``acquire()`` returns at once, so a producer
/// never hangs at shutdown.
public final class InFlightLimit: Sendable {
    private struct State {
        var inFlight = 0
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
    }

    /// The most items outstanding at once.
    public let limit: Int
    private let state = Mutex(State())

    public init(limit: Int) {
        precondition(limit > 0, "An InFlightLimit needs room for at least one item.")
        self.limit = limit
    }

    /// Items handed over and not yet released.
    public var inFlight: Int { state.withLock { $0.inFlight } }

    /// Waits until fewer than ``limit`` items are outstanding, then counts one more.
    /// One producer: two tasks waiting at once is a bug of the caller.
    public func acquire() async {
        // The common case takes a slot without suspending (a suspension would cost every
        // uevent a trip through the executor).
        let taken = state.withLock { state -> Bool in
            guard state.inFlight < limit || state.cancelled else { return false }
            state.inFlight += 1
            return true
        }
        if taken { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let proceed = state.withLock { state -> Bool in
                    if state.inFlight < limit || state.cancelled {
                        state.inFlight += 1
                        return true
                    }
                    precondition(state.waiter == nil, "Two tasks waited on one InFlightLimit; it serves a single producer.")
                    state.waiter = continuation
                    return false
                }
                if proceed { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                state.cancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// The consumer finished one item. A waiting producer is woken only once half the
    /// limit is free, so that it hands over many items per wake-up instead of one (a
    /// wake-up per item would cost a context switch per uevent at full load).
    public func release() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            precondition(state.inFlight > 0, "InFlightLimit.release() without a matching acquire().")
            state.inFlight -= 1
            guard let waiter = state.waiter, state.inFlight <= limit / 2 else { return nil }
            state.waiter = nil
            state.inFlight += 1  // the waiter's item
            return waiter
        }
        waiter?.resume()
    }
}
