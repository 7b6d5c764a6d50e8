/// Everything the engine needs to know about a host at one instant, read from
/// sysfs (or from a trace's snapshot record) at startup and after lost events.
///
/// It is plain data: the `Sysfs` target reads it, the engine consumes it.
public struct HostSnapshot: Hashable, Sendable {
    /// The host's AP configuration from QCI (`ap_adapter_mask`,
    /// `ap_usage_domain_mask`, `ap_control_domain_mask`); nil when the bus
    /// says `not supported` (no QCI: every existing device counts).
    public var hostConfiguration: APMatrix?
    /// `/sys/bus/ap/apmask`: adapters reserved for the host's default drivers.
    public var apmask: APMask
    /// `/sys/bus/ap/aqmask`: domains reserved for the host's default drivers.
    public var aqmask: APMask
    /// `ap_max_adapter_id` (63 without APXA).
    public var maxAdapterID: Int
    /// `ap_max_domain_id` (15 without APXA).
    public var maxDomainID: Int
    /// Number of completed AP bus scans (`scans`); 0 means INITSCAN is still to come.
    public var scans: UInt64
    /// `bindings_complete_count` (v6.19+), else nil.
    public var bindingsCompleteCount: UInt64?
    /// The card devices, ascending.
    public var cards: [Card]
    /// The queue devices, ascending.
    public var queues: [Queue]
    /// The vfio_ap matrix device, nil when vfio_ap is not loaded.
    public var matrixDevice: MatrixDevice?
    /// The vfio_ap mediated devices, ascending by UUID.
    public var mdevs: [Mdev]

    public init(
        hostConfiguration: APMatrix? = nil, apmask: APMask = .all, aqmask: APMask = .all,
        maxAdapterID: Int = 255, maxDomainID: Int = 255, scans: UInt64 = 1, bindingsCompleteCount: UInt64? = nil,
        cards: [Card] = [], queues: [Queue] = [], matrixDevice: MatrixDevice? = nil, mdevs: [Mdev] = []
    ) {
        self.hostConfiguration = hostConfiguration
        self.apmask = apmask
        self.aqmask = aqmask
        self.maxAdapterID = maxAdapterID
        self.maxDomainID = maxDomainID
        self.scans = scans
        self.bindingsCompleteCount = bindingsCompleteCount
        self.cards = cards
        self.queues = queues
        self.matrixDevice = matrixDevice
        self.mdevs = mdevs
    }

    /// One AP card device (`/sys/devices/ap/cardAA`).
    public struct Card: Hashable, Sendable {
        public var id: APID
        /// `hwtype`, the compatible type (10 = CEX4 … 14 = CEX8).
        public var hardwareType: Int
        /// Bound driver name (`cex4card`), nil when unbound.
        public var driver: String?
        /// `config`: false after `echo 0 > config` or an SE/HMC deconfigure.
        public var configured: Bool
        /// `chkstop`.
        public var checkstopped: Bool

        public init(id: APID, hardwareType: Int, driver: String?, configured: Bool = true, checkstopped: Bool = false) {
            self.id = id
            self.hardwareType = hardwareType
            self.driver = driver
            self.configured = configured
            self.checkstopped = checkstopped
        }
    }

    /// One AP queue device (`/sys/devices/ap/cardAA/AA.DDDD`).
    public struct Queue: Hashable, Sendable {
        public var apqn: APQN
        /// Bound driver name (`cex4queue`, `vfio_ap`), nil when unbound.
        public var driver: String?
        public var configured: Bool
        public var checkstopped: Bool

        public init(apqn: APQN, driver: String?, configured: Bool = true, checkstopped: Bool = false) {
            self.apqn = apqn
            self.driver = driver
            self.configured = configured
            self.checkstopped = checkstopped
        }
    }

    /// The vfio_ap matrix device (`/sys/devices/vfio_ap/matrix`).
    public struct MatrixDevice: Hashable, Sendable {
        /// Tokens of `features` (`guest_matrix hotplug ap_config`); empty on older kernels.
        public var features: [String]

        public init(features: [String]) { self.features = features }
    }

    /// One vfio_ap mediated device.
    public struct Mdev: Hashable, Sendable {
        public var uuid: MdevUUID
        /// `matrix` + `control_domains`: what the administrator assigned.
        public var assigned: APMatrix
        /// `guest_matrix` (+ control domains as the kernel would pass them);
        /// nil on pre-6.0 kernels, which have no such attribute.
        public var guestMatrix: APMatrix?
        /// Whether a queue's vfio_ap `status` reads `in use` (a guest holds the mdev).
        public var inUse: Bool

        public init(uuid: MdevUUID, assigned: APMatrix, guestMatrix: APMatrix?, inUse: Bool = false) {
            self.uuid = uuid
            self.assigned = assigned
            self.guestMatrix = guestMatrix
            self.inUse = inUse
        }
    }
}
