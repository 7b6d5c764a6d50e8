/// A captured set of sysfs attribute files and symlinks: what a trace's
/// snapshot record holds and what an in-memory sysfs tree serves.
///
/// Paths are relative to the sysfs root, without a leading slash
/// (`bus/ap/apmask`, `devices/ap/card05/05.0004/driver`). File values are raw,
/// trailing newline included. Link targets are the link text as sysfs stores
/// it, usually relative (`../../../../bus/ap/drivers/vfio_ap`).
///
/// Directories are implied: a directory exists when some file or link lies
/// below it. An empty directory cannot be represented.
public struct SysfsImage: Equatable, Sendable {
    /// Attribute files: path → raw content.
    public var files: [String: String]
    /// Symbolic links: path → link target text.
    public var links: [String: String]

    public init(files: [String: String] = [:], links: [String: String] = [:]) {
        self.files = files
        self.links = links
    }
}
