import Udev

extension DaemonInput {
    /// The input for one monitor event.
    ///
    /// The kernel reports `ENOBUFS` on the first receive after it dropped a message,
    /// ahead of the messages still queued on the socket. Those are older than the
    /// rescan the overflow causes, whose reading of sysfs already includes their
    /// effects: fed after it, they would roll the model back (a stale unbind would
    /// unplug an adapter that is bound again). So they are read and skipped here, and
    /// the overflow is reported once they are gone.
    static func received(_ event: UdevMonitorEvent, from iterator: inout UdevMonitorSequence.AsyncIterator) -> DaemonInput {
        switch event {
        case .uevent(let uevent):
            return .uevent(uevent)
        case .overflow:
            var skipped = 0
            while let queued = iterator.nextAvailable() {
                if case .uevent = queued { skipped += 1 }
            }
            return .eventsLost("the monitor's receive buffer overflowed (ENOBUFS); \(skipped) queued event(s) skipped")
        case .receiveFailed(let error):
            return .eventsLost("receiving a uevent failed (\(error))")
        }
    }
}
