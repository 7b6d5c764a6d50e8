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
///
/// With a `sink`, each read goes to it as it happens and ``image`` stays
/// empty: `aphotplug record` streams its snapshot record that way.
public final class RecordingSysfsTree<Base: SysfsTree>: SysfsTree {
    /// One successful read.
    public enum Read {
        case file(path: String, value: String)
        case link(path: String, target: String)
    }

    public let base: Base
    /// Everything read so far (without a sink).
    public private(set) var image = SysfsImage()
    private let sink: ((Read) -> Void)?

    public init(_ base: Base, sink: ((Read) -> Void)? = nil) {
        self.base = base
        self.sink = sink
    }

    public func readAttribute(_ path: String) throws(SysfsError) -> String {
        let value = try base.readAttribute(path)
        if let sink { sink(.file(path: path, value: value)) } else { image.files[path] = value }
        return value
    }

    public func readLink(_ path: String) throws(SysfsError) -> String {
        let target = try base.readLink(path)
        if let sink { sink(.link(path: path, target: target)) } else { image.links[path] = target }
        return target
    }

    public func listDirectory(_ path: String) throws(SysfsError) -> [String] { try base.listDirectory(path) }

    public func exists(_ path: String) -> Bool { base.exists(path) }

    public func displayPath(of path: String) -> String { base.displayPath(of: path) }
}
