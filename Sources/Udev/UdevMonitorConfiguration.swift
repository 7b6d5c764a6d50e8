/// How to set up a ``UdevMonitorSequence``.
public struct UdevMonitorConfiguration: Hashable, Sendable {
    /// Which netlink multicast group the monitor joins.
    public enum Source: Hashable, Sendable, CaseIterable {
        /// Events after systemd-udevd processed them (libudev group `"udev"`), the default:
        /// listeners see a device only once udev rules have run.
        ///
        /// In a container where `/run/udev/control` is missing and `/dev` is not devtmpfs,
        /// libudev binds such a monitor to no group and it never receives anything.
        case udev
        /// Raw kernel uevents (libudev group `"kernel"`), e.g. on hosts without udevd.
        case kernel

        /// The group's name as libudev spells it, and as `--source` accepts it.
        public var name: String {
            switch self {
            case .udev: return NetlinkGroupName.udev
            case .kernel: return NetlinkGroupName.kernel
            }
        }

        /// The source named `name` (`udev`, `kernel`), or nil.
        public init?(name: String) {
            guard let source = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = source
        }
    }

    /// 128 MiB, the receive buffer libvirt and bolt ask for (design.md, reliability rules).
    public static let defaultReceiveBufferSize = 128 * 1024 * 1024

    /// The netlink group to join.
    public var source: Source
    /// Subsystems to receive (`udev_monitor_filter_add_match_subsystem_devtype()` with no
    /// devtype); empty receives every subsystem.
    public var subsystems: [String]
    /// Bytes requested with `udev_monitor_set_receive_buffer_size()` (`SO_RCVBUF`, then
    /// `SO_RCVBUFFORCE`, which needs `CAP_NET_ADMIN`). Without the capability the kernel
    /// caps the buffer at `net.core.rmem_max`; the monitor still works, with a smaller buffer.
    public var receiveBufferSize: Int

    public init(
        source: Source = .udev,
        subsystems: [String] = UdevSubsystem.hotplugRelevant,
        receiveBufferSize: Int = Self.defaultReceiveBufferSize
    ) {
        self.source = source
        self.subsystems = subsystems
        self.receiveBufferSize = receiveBufferSize
    }
}
