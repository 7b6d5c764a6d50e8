import Foundation

/// A body started on a thread of its own at once, whose result is taken later:
/// waited for with a limit (``value(within:)``), or awaited (``value``) without
/// holding a thread of Swift's cooperative pool, so that a step whose timing
/// matters (a lock held for a while, then released) is not delayed by CPU-bound
/// suites that keep every pool thread busy.
public final class ThreadTask<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: Value?

    public init(_ body: @escaping @Sendable () -> Value) {
        Thread.detachNewThread { [self] in
            let value = body()
            lock.withLock { result = value }
            done.signal()
        }
    }

    /// The body's result, or nil when it has not returned within `limit`.
    public func value(within limit: Duration) -> Value? {
        let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        done.signal()
        return lock.withLock { result }
    }

    /// The body's result, once it has returned.
    public var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [self] in
                    done.wait()
                    done.signal()
                    guard let value = lock.withLock({ result }) else {
                        preconditionFailure("a ThreadTask signalled without a value")
                    }
                    continuation.resume(returning: value)
                }
            }
        }
    }
}

/// Runs `body` on a thread of its own and waits at most `limit` for it: a call
/// that hangs (blocks in open(), spins for ever) fails its test instead of the run.
/// A body still running after `limit` is left behind; nil says so.
public func finishing<Result: Sendable>(within limit: Duration, _ body: @escaping @Sendable () -> Result) -> Result? {
    ThreadTask(body).value(within: limit)
}
