/// A sysfs tree in a directory: `/sys` on a real host, or any directory laid
/// out like it (`--sysfs-root DIR`, test fixtures, the simulator's tree).
///
/// It uses the C library directly (`openat`/`read`/`close`, `readlinkat`,
/// `fdopendir`/`readdir`), one read per attribute and no `stat` calls (only for
/// an empty, would-block or overlong read), so a
/// coldplug scan of 65,536 queues costs about what the least possible IO
/// costs (`tools/coldplug-floor.c`).
public final class DirectorySysfsTree: SysfsTree, Sendable {
    private let directory: SysfsDirectory

    /// Opens `root`, the directory that plays `/sys`.
    ///
    /// - Throws: ``SysfsError`` when `root` cannot be opened as a directory.
    public init(root: String) throws(SysfsError) {
        directory = try SysfsDirectory(root: root)
    }

    /// Opens `root` as a tree of ordinary files of at most `fileLimit` bytes each
    /// (mdevctl's definitions), read with the same care as sysfs attributes.
    public init(root: String, fileLimit: Int) throws(SysfsError) {
        directory = try SysfsDirectory(root: root, fileLimit: fileLimit)
    }

    /// The directory as given to ``init(root:)``.
    public var root: String { directory.root }

    public func readAttribute(_ path: String) throws(SysfsError) -> String { try directory.read(path) }

    public func readLink(_ path: String) throws(SysfsError) -> String { try directory.readLink(path) }

    public func listDirectory(_ path: String) throws(SysfsError) -> [String] { try directory.list(path) }

    public func exists(_ path: String) -> Bool { directory.exists(path) }

    public func displayPath(of path: String) -> String { directory.displayPath(of: path) }
}
