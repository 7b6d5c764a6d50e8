import Foundation
internal import Glibc

/// The service watchdog systemd arms with `WatchdogSec=`, read the way
/// `sd_watchdog_enabled(3)` reads it.
public enum SystemdWatchdog {
    /// The watchdog timeout from `WATCHDOG_USEC` (a positive decimal number of
    /// microseconds), or nil when the watchdog is off for this process: the variable is
    /// unset or invalid, or `WATCHDOG_PID` is set and names another process.
    ///
    /// Send ``SystemdNotifyState/watchdog`` at least every `timeout / 2`.
    public static func timeout(usec: String?, pid: String?, processID: Int32) -> Duration? {
        guard let usec, let microseconds = UInt64(usec), microseconds > 0, microseconds < UInt64.max else {
            return nil
        }
        if let pid {
            guard let owner = Int32(pid), owner > 0, owner == processID else { return nil }
        }
        return .microseconds(Int64(clamping: microseconds))
    }

    /// ``timeout(usec:pid:processID:)`` for `environment` and the calling process.
    public static func timeout(environment: [String: String]) -> Duration? {
        timeout(usec: environment["WATCHDOG_USEC"], pid: environment["WATCHDOG_PID"], processID: getpid())
    }

    /// ``timeout(environment:)`` for this process's environment.
    public static func timeoutFromProcessEnvironment() -> Duration? {
        timeout(environment: ProcessInfo.processInfo.environment)
    }
}
