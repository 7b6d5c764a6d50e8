import APModel

/// The operation argument of libvirt's qemu hook (`virHookQemuOpType` in
/// libvirt's `src/util/virhook.h`), and what it means for a guest's mdevs.
///
/// The hook never vetoes (see ``LibvirtHookInvocation``), so the mapping only
/// decides which notifications the daemon hears. Repeated attaches for one
/// start are intended: each names the same guest, and a daemon that restarted
/// in between learns the name again.
public enum LibvirtHookOperation: Equatable, Sendable {
    /// `prepare begin`: before libvirt labels or prepares the guest's resources
    /// (`docs/hooks.rst`). Attach: the earliest point at which the mdevs are
    /// committed to this guest; a start that fails later ends with `stopped`
    /// and `release`. A domain naming an mdev another guest holds reaches this
    /// too; the daemon reports a conflict and leaves the mdev with its holder.
    case prepare
    /// `start begin`: resources are labeled, QEMU is about to be launched. Attach.
    case start
    /// `started begin`: QEMU is running and holds its mdevs. Attach.
    case started
    /// `stopped end`: QEMU has exited, so the kernel has emptied the guest's AP
    /// configuration. Detach.
    case stopped
    /// `release end`: libvirt released the guest's resources, also after a
    /// failed start. Detach; after `stopped` this is the same end of the same
    /// guest, and the daemon reports nothing for it.
    case release
    /// `migrate begin`: incoming migration on the destination host. The hook
    /// is a filter here: libvirt reads a replacement domain XML from its
    /// standard output, so nothing may be printed. No notification: the
    /// `prepare`/`start` calls of the incoming QEMU follow, and on the source
    /// host `stopped`/`release` detach. (A guest with a vfio-ap device is
    /// not migratable today; QEMU blocks the migration.)
    case migrate
    /// `restore begin`: a saved image is being restored. A filter like
    /// `migrate`, and likewise followed by `prepare`/`start`/`started`. No
    /// notification.
    case restore
    /// `reconnect begin`: libvirtd restarted and reconnects to a running
    /// guest; the XML is the live one, hot plugged mdevs included. Attach.
    /// libvirt kills the guest if this hook fails.
    case reconnect
    /// `attach begin`: libvirt attached to a QEMU process it did not start. Attach.
    case attach
    /// An operation this version does not know, ignored so that a newer
    /// libvirt never fails a guest because of aphotplug.
    case unknown(String)

    /// The operation named by the hook's second argument.
    public init(_ argument: String) {
        self =
            switch argument {
            case "prepare": .prepare
            case "start": .start
            case "started": .started
            case "stopped": .stopped
            case "release": .release
            case "migrate": .migrate
            case "restore": .restore
            case "reconnect": .reconnect
            case "attach": .attach
            default: .unknown(argument)
            }
    }

    /// What the guest does with its mdevs at this operation; nil when the
    /// operation says nothing about that.
    public var guestAction: GuestRecord.Action? {
        switch self {
        case .prepare, .start, .started, .reconnect, .attach: .attach
        case .stopped, .release: .detach
        case .migrate, .restore, .unknown: nil
        }
    }
}
