/// A writable attribute of a vfio_ap mdev (`/sys/devices/vfio_ap/matrix/<uuid>/…`).
public enum MdevAttribute: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case assignAdapter = "assign_adapter"
    case unassignAdapter = "unassign_adapter"
    case assignDomain = "assign_domain"
    case unassignDomain = "unassign_domain"
    case assignControlDomain = "assign_control_domain"
    case unassignControlDomain = "unassign_control_domain"
    /// `apm,aqm,adm` as three absolute masks, replacing the assignment atomically.
    case apConfig = "ap_config"

    /// The sysfs file name.
    public var description: String { rawValue }
}
