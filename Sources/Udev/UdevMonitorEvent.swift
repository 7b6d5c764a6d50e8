import APModel

/// One element of a ``UdevMonitorSequence``.
public enum UdevMonitorEvent: Hashable, Sendable {
    /// A device event, with the properties libudev reports for it (sorted by key in
    /// libudev 252, which also strips a trailing newline from values such as `APMASK`).
    case uevent(Uevent)
    /// The socket's receive queue overflowed (`ENOBUFS`): the kernel dropped events
    /// that cannot be recovered. Rescan and diff. The sequence goes on.
    case overflow
    /// Receiving failed with an unexpected errno (code ``UdevError/Code/receiveFailed``).
    /// Events may have been lost: treat it like ``overflow``. The sequence goes on.
    case receiveFailed(UdevError)
}
