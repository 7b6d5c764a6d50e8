internal import Glibc

/// The calling thread's signal mask (`pthread_sigmask(3)`).
public enum ProcessSignalMask {
    /// Unblocks every signal in the calling thread (`pthread_sigmask(SIG_SETMASK, ∅)`).
    ///
    /// A process started by `Foundation.Process` from a libdispatch or Swift Testing
    /// thread inherits that thread's mask, which blocks SIGTERM among others
    /// (testing-with-umockdev.md §5.3). Call this first thing, before other threads
    /// exist: threads inherit the mask of the thread that creates them.
    public static func unblockAll() {
        var empty = sigset_t()
        sigemptyset(&empty)
        let result = pthread_sigmask(SIG_SETMASK, &empty, nil)
        precondition(result == 0, "pthread_sigmask(SIG_SETMASK) with an empty set failed (\(result)); it cannot fail with valid arguments.")
    }

    /// Whether `signal` is blocked in the calling thread.
    public static func isBlocked(_ signal: Int32) -> Bool {
        var current = sigset_t()
        let result = pthread_sigmask(SIG_SETMASK, nil, &current)
        precondition(result == 0, "pthread_sigmask query failed (\(result)); it cannot fail with valid arguments.")
        return sigismember(&current, signal) == 1
    }
}
