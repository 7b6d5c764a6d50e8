/// Writes sysfs attributes: the seam between the realizer and the kernel.
///
/// Paths are relative to the sysfs root (`devices/vfio_ap/matrix/<uuid>/assign_adapter`).
/// A failed write throws a ``SysfsError`` whose ``SysfsError/meaning`` is the
/// kernel's meaning of that errno for that attribute. Test fakes record
/// `(path, value)` and throw chosen errnos.
public protocol SysfsWriter {
    /// Writes `value` exactly as given (the kernel accepts a trailing newline
    /// or none) in a single `write`.
    func writeAttribute(_ path: String, _ value: String) throws(SysfsError)
}

/// Writes attributes of a directory that plays `/sys` (the host's `/sys`, or
/// a simulated tree): `openat(O_WRONLY | O_TRUNC)` as `echo value > attr`
/// does, then one `write`.
public final class DirectorySysfsWriter: SysfsWriter, Sendable {
    private let directory: SysfsDirectory

    /// Opens `root`, the directory that plays `/sys`.
    public init(root: String) throws(SysfsError) {
        directory = try SysfsDirectory(root: root)
    }

    public func writeAttribute(_ path: String, _ value: String) throws(SysfsError) {
        try directory.write(path, value)
    }
}
