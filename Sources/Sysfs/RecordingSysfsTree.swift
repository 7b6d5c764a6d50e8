import APModel

/// Wraps another tree and captures every successful attribute read and link
/// read into a ``SysfsImage``. `aphotplug record` reads the host through it
/// and writes ``image`` as the trace's snapshot record; a ``MemorySysfsTree``
/// over that image then answers the same questions the same way, so replay
/// builds the same `HostSnapshot`.
///
/// Directory listings and existence checks are passed through uncaptured:
/// the image implies directories from the paths below them. Failed reads are
/// not captured either, and fail again in replay with `ENOENT`.
public final class RecordingSysfsTree<Base: SysfsTree>: SysfsTree {
    public let base: Base
    /// Everything read so far.
    public private(set) var image = SysfsImage()

    public init(_ base: Base) { self.base = base }

    public func readAttribute(_ path: String) throws(SysfsError) -> String {
        let value = try base.readAttribute(path)
        image.files[path] = value
        return value
    }

    public func readLink(_ path: String) throws(SysfsError) -> String {
        let target = try base.readLink(path)
        image.links[path] = target
        return target
    }

    public func listDirectory(_ path: String) throws(SysfsError) -> [String] { try base.listDirectory(path) }

    public func exists(_ path: String) -> Bool { base.exists(path) }

    public func displayPath(of path: String) -> String { base.displayPath(of: path) }
}
