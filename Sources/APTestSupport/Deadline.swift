import Foundation

/// The value a thread of ``finishing(within:_:)`` hands back.
private final class HandOver<Value>: @unchecked Sendable {
    let lock = NSLock()
    var value: Value?
}

/// Runs `body` on a thread of its own and waits at most `limit` for it: a call
/// that hangs (blocks in open(), spins for ever) fails its test instead of the run.
/// A body still running after `limit` is left behind; nil says so.
public func finishing<Result: Sendable>(within limit: Duration, _ body: @escaping @Sendable () -> Result) -> Result? {
    let box = HandOver<Result>()
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        let value = body()
        box.lock.lock()
        box.value = value
        box.lock.unlock()
        done.signal()
    }
    let seconds = Double(limit.components.seconds) + Double(limit.components.attoseconds) / 1e18
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    box.lock.lock()
    defer { box.lock.unlock() }
    return box.value
}

/// Runs `body` on a thread of its own and awaits its result without holding a
/// thread of Swift's cooperative pool: for a step whose timing matters (a lock
/// held for a while, then released) in a run where CPU-bound tests can keep
/// every pool thread busy for many seconds.
public func onOwnThread<Result: Sendable>(_ body: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}

/// A body started on a thread of its own at once, whose result is awaited
/// later (``value``): for a step that must start before the test awaits
/// anything, so that a busy cooperative pool cannot delay it.
public final class ThreadTask<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let box = HandOver<Value>()

    public init(_ body: @escaping @Sendable () -> Value) {
        let done = done
        let box = box
        Thread.detachNewThread {
            let value = body()
            box.lock.lock()
            box.value = value
            box.lock.unlock()
            done.signal()
        }
    }

    /// The body's result, once it has returned.
    public var value: Value {
        get async {
            let done = done
            let box = box
            return await onOwnThread { () -> Value in
                done.wait()
                done.signal()
                box.lock.lock()
                defer { box.lock.unlock() }
                guard let value = box.value else { preconditionFailure("a ThreadTask signalled without a value") }
                return value
            }
        }
    }
}
