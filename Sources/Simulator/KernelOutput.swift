import APModel

/// Something the simulated kernel did that userspace sees as a stream, in the
/// order it happened.
public enum KernelOutput: Hashable, Sendable {
    /// A uevent, with `SEQNUM` and its keys in the kernel's order.
    case uevent(Uevent)
    /// A guest opened or released an mdev. Not a uevent (the kernel sends
    /// none): recorders learn it from the libvirt hook or QEMU.
    /// `attach` is VFIO `open_device` (the guest's APCB becomes the mdev's
    /// shadow); `detach` is `close_device` (the APCB is cleared, the shadow kept).
    case guest(GuestRecord.Action, mdev: MdevUUID, name: String)
}

/// The devices and attribute groups an operation changed, so that a sysfs
/// tree can be rewritten incrementally.
public struct TouchedDevices: Sendable {
    /// `/sys/bus/ap` attributes (masks, `scans`, `bindings`, …).
    public var bus = false
    /// Card devices by APID.
    public var cards: Set<UInt8> = []
    /// Queue devices by ``APQN/index``.
    public var queues: Set<Int> = []
    /// The vfio_ap root, the matrix device, the mdev type and the driver
    /// directories (module load and unload, mdev count).
    public var drivers = false
    /// mdevs by UUID (also means: the `status` of their queues may have changed).
    public var mdevs: Set<MdevUUID> = []

    public init() {}

    /// Whether nothing was touched.
    public var isEmpty: Bool { !bus && cards.isEmpty && queues.isEmpty && !drivers && mdevs.isEmpty }

    /// Adds everything `other` touched.
    public mutating func formUnion(_ other: TouchedDevices) {
        bus = bus || other.bus
        cards.formUnion(other.cards)
        queues.formUnion(other.queues)
        drivers = drivers || other.drivers
        mdevs.formUnion(other.mdevs)
    }
}
