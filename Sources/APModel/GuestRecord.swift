/// A guest attached to or detached from a vfio_ap mediated device.
///
/// JSON Lines form: `{"type":"guest","action":"attach","mdev":"<uuid>","name":"vm1"}`;
/// an attach names the guest, a detach may leave the name out.
public struct GuestRecord: Equatable, Sendable {
    /// What the guest did with the mdev.
    public enum Action: String, Hashable, Sendable, CaseIterable {
        /// The guest opened the mdev (QEMU started with it, or hot plugged it).
        case attach
        /// The guest released the mdev (QEMU stopped, or hot unplugged it).
        case detach
    }

    public var action: Action
    public var mdev: MdevUUID
    /// The guest's name (libvirt domain name); nil when unknown.
    public var name: String?

    public init(action: Action, mdev: MdevUUID, name: String?) {
        self.action = action
        self.mdev = mdev
        self.name = name
    }
}
