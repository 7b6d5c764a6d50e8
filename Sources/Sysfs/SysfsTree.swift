/// Read access to a sysfs tree: the host's `/sys`, a directory that plays
/// `/sys`, or a captured image.
///
/// Every path is relative to the sysfs root, without a leading slash:
/// `bus/ap/apmask`, `devices/ap/card05/05.0004/driver`. The empty path is the
/// root itself.
///
/// Implementations: ``DirectorySysfsTree`` (real files, one syscall per
/// question), ``MemorySysfsTree`` (a `SysfsImage` from a trace) and
/// ``RecordingSysfsTree`` (captures what another tree answered).
public protocol SysfsTree {
    /// The raw content of an attribute file, trailing newline included.
    func readAttribute(_ path: String) throws(SysfsError) -> String
    /// The target text of a symbolic link, as stored (usually relative:
    /// `../../../bus/ap/drivers/cex4card`).
    func readLink(_ path: String) throws(SysfsError) -> String
    /// The names in a directory, without `.` and `..`, in no particular order.
    func listDirectory(_ path: String) throws(SysfsError) -> [String]
    /// Whether a file, link or directory exists at `path` (links are not followed).
    func exists(_ path: String) -> Bool
    /// `path` as users know it, for messages: `/sys/bus/ap/apmask`, or the
    /// directory that plays `/sys` joined with `path`.
    func displayPath(of path: String) -> String
}

extension SysfsTree {
    /// The attribute's content, or nil when it does not exist (an optional
    /// attribute, or one that older kernels lack). Other errors are thrown.
    public func readOptionalAttribute(_ path: String) throws(SysfsError) -> String? {
        do {
            return try readAttribute(path)
        } catch where error.code == .notFound {
            return nil
        }
    }

    /// The link's target, or nil when there is no such link (e.g. the
    /// `driver` link of an unbound device). Other errors are thrown.
    public func readOptionalLink(_ path: String) throws(SysfsError) -> String? {
        do {
            return try readLink(path)
        } catch where error.code == .notFound {
            return nil
        }
    }
}
