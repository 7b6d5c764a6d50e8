import APModel
import Glibc

/// A sysfs tree served from a ``SysfsImage``: what a JSON Lines trace's
/// snapshot record holds, so replay reads its initial state with the same
/// ``SnapshotReader`` the daemon uses on `/sys`.
///
/// Directories are those implied by the image's paths. Links are not
/// followed: reading an attribute through a link fails with `ENOENT`, as it
/// would on a tree whose link targets are missing. Errors name paths as
/// `/sys/<path>` and use the errno the kernel would (`ENOENT`, `EISDIR`,
/// `EINVAL` for readlink on a non-link, `ENOTDIR`).
public struct MemorySysfsTree: SysfsTree, Sendable {
    public let image: SysfsImage
    /// Directory path → entry names, sorted; the root is "".
    private let children: [String: [String]]

    public init(_ image: SysfsImage) {
        self.image = image
        var children: [String: [String]] = [:]
        for path in image.files.keys { Self.register(path, in: &children) }
        for path in image.links.keys { Self.register(path, in: &children) }
        // A name can only repeat when an odd image holds both `a/b` and `a/b/c`.
        self.children = children.mapValues { names in
            var sorted = names.sorted()
            sorted.removeDuplicates()
            return sorted
        }
    }

    /// Adds `path`'s name to its parent, and the parent's to its parent as
    /// long as the directory is new, so building the index is linear in the
    /// number of paths.
    private static func register(_ path: String, in children: inout [String: [String]]) {
        var current = Substring(path)
        while true {
            let slash = current.lastIndex(of: "/")
            let parent = slash.map { String(current[..<$0]) } ?? ""
            let name = String(slash.map { current[current.index(after: $0)...] } ?? current)
            var parentIsNew = false
            children[parent, default: { parentIsNew = true; return [] }()].append(name)
            guard parentIsNew, let slash else { return }
            current = current[..<slash]
        }
    }

    public func readAttribute(_ path: String) throws(SysfsError) -> String {
        if let value = image.files[path] { return value }
        throw SysfsError(operation: .read, path: displayPath(of: path), errno: children[path] != nil ? EISDIR : ENOENT)
    }

    public func readLink(_ path: String) throws(SysfsError) -> String {
        if let target = image.links[path] { return target }
        let errno = image.files[path] != nil || children[path] != nil ? EINVAL : ENOENT
        throw SysfsError(operation: .readLink, path: displayPath(of: path), errno: errno)
    }

    public func listDirectory(_ path: String) throws(SysfsError) -> [String] {
        if let names = children[path] { return names }
        let errno = image.files[path] != nil || image.links[path] != nil ? ENOTDIR : ENOENT
        throw SysfsError(operation: .listDirectory, path: displayPath(of: path), errno: errno)
    }

    public func exists(_ path: String) -> Bool {
        image.files[path] != nil || image.links[path] != nil || children[path] != nil
    }

    public func displayPath(of path: String) -> String { path.isEmpty ? "/sys" : "/sys/" + path }
}

extension Array where Element: Equatable {
    /// Removes adjacent repeats (of a sorted array: all repeats).
    fileprivate mutating func removeDuplicates() {
        var kept = 0
        for index in indices where kept == 0 || self[kept - 1] != self[index] {
            self[kept] = self[index]
            kept += 1
        }
        removeLast(count - kept)
    }
}
