import APModel

/// What the shell found in an mdev's persistent definition
/// (`/etc/mdevctl.d/matrix/<uuid>`).
public enum DefinitionReading: Hashable, Sendable {
    /// The file holds a vfio_ap definition.
    case defined(MdevDefinition)
    /// There is no definition (any more).
    case undefined
    /// The file exists but cannot be used; `reason` says where and why.
    case unusable(reason: String)
}
