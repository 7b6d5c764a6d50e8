import APModel
import Udev

extension DaemonInput {
    /// The most uevents in one ``uevents(_:)`` batch.
    static let batchLimit = 64

    /// The inputs for `first` and whatever else the monitor has ready, without waiting:
    /// a batch of up to ``batchLimit`` uevents, then, when the monitor reported a loss,
    /// ``eventsLost(_:)``.
    ///
    /// The kernel reports `ENOBUFS` on the first receive after it dropped a message,
    /// ahead of the messages still queued on the socket. Those are older than the
    /// rescan the overflow causes, and fed after it they would roll the model back (a
    /// stale unbind would unplug an adapter that is bound again); ``DaemonCore`` does
    /// not feed them, as they are numbered below the kernel's uevent counter read for
    /// that rescan.
    static func received(_ first: UdevMonitorEvent, from iterator: inout UdevMonitorSequence.AsyncIterator) -> [DaemonInput] {
        var uevents: [Uevent] = []
        var next: UdevMonitorEvent? = first
        while let event = next {
            switch event {
            case .uevent(let uevent):
                uevents.append(uevent)
                next = uevents.count < batchLimit ? iterator.nextAvailable() : nil
            case .overflow:
                return batch(uevents) + [.eventsLost("the monitor's receive buffer overflowed (ENOBUFS)")]
            case .receiveFailed(let error):
                return batch(uevents) + [.eventsLost("receiving a uevent failed (\(error))")]
            }
        }
        return batch(uevents)
    }

    private static func batch(_ uevents: [Uevent]) -> [DaemonInput] {
        uevents.isEmpty ? [] : [.uevents(uevents)]
    }
}
