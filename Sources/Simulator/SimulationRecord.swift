import APModel

/// One record of a simulated trace, in the order it happened. The same
/// records as aphotplug's JSON Lines trace (design.md): uevents, guest
/// attach/detach, and sysfs values read back after an operation.
public enum SimulationRecord: Hashable, Sendable {
    /// A kernel uevent and the fake `CLOCK_MONOTONIC` time it was sent at,
    /// in microseconds (the `KERNEL[…]` header of `udevadm monitor`).
    case uevent(Uevent, microseconds: UInt64)
    /// A guest opened (attach) or released (detach) an mdev.
    case guest(GuestRecord.Action, mdev: MdevUUID, name: String)
    /// An attribute's raw content after the operation (`path` is `/sys/…`):
    /// the host configuration masks, `apmask`/`aqmask`, and each mdev's
    /// `matrix`, `guest_matrix` and `control_domains`, whenever they changed.
    case observe(path: String, value: String)
    /// The operation's burst of uevents is over: where the daemon, once the
    /// burst has settled, reads the host configuration masks back and ends an
    /// AP bus scan the engine holds (JSON Lines `settled`). Last record of every
    /// operation that emitted uevents.
    case settled
}
