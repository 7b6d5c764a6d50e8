import APModel

/// What a guest did with a vfio_ap mdev, as the daemon needs to hear it:
/// the kernel sends no uevent when QEMU opens or closes an mdev.
public struct GuestNotification: Equatable, Sendable {
    /// Whether the guest starts or stops holding the mdev.
    public enum Action: String, Equatable, Sendable {
        /// The guest holds the mdev, or is about to (QEMU starts with it).
        case attach
        /// The guest no longer holds the mdev (QEMU stopped, resources released).
        case detach
    }

    public var action: Action
    public var mdev: MdevUUID
    /// The libvirt domain name.
    public var name: String

    public init(action: Action, mdev: MdevUUID, name: String) {
        self.action = action
        self.mdev = mdev
        self.name = name
    }
}
