/// One file, link or directory of a simulated sysfs tree. Paths are relative
/// to the directory that plays `/sys` (`devices/ap/card05/config`).
struct SysfsEntry: Hashable, Sendable {
    enum Node: Hashable, Sendable {
        case directory
        /// A readable attribute with its exact content.
        case file(String)
        /// A write-only attribute (`bind`, `assign_adapter`, …): an empty file
        /// with mode 0200.
        case writeOnlyFile
        /// A symbolic link with its (relative) target text.
        case link(String)
    }

    let path: String
    let node: Node

    static func directory(_ path: String) -> SysfsEntry { SysfsEntry(path: path, node: .directory) }
    static func file(_ path: String, _ content: String) -> SysfsEntry { SysfsEntry(path: path, node: .file(content)) }
    static func writeOnly(_ path: String) -> SysfsEntry { SysfsEntry(path: path, node: .writeOnlyFile) }

    /// A link at `path` to `target` (both relative to the root), stored as
    /// the relative text the kernel uses: up to the common ancestor, then down.
    static func link(_ path: String, to target: String) -> SysfsEntry {
        SysfsEntry(path: path, node: .link(relativeTarget(from: path, to: target)))
    }

    static func relativeTarget(from linkPath: String, to target: String) -> String {
        let link = Array(linkPath.utf8)
        let destination = Array(target.utf8)
        let slash = UInt8(ascii: "/")
        guard let directoryEnd = link.lastIndex(of: slash) else { return target }
        // `common` is where the shared leading components end (after their '/').
        var common = 0
        var index = 0
        while index < directoryEnd, index < destination.count, link[index] == destination[index] {
            if link[index] == slash { common = index + 1 }
            index += 1
        }
        var ups = 0
        if index == directoryEnd && (index == destination.count || destination[index] == slash) {
            common = min(directoryEnd + 1, destination.count)
        } else {
            ups = 1 + link[common..<directoryEnd].lazy.filter { $0 == slash }.count
        }
        var text: [UInt8] = []
        text.reserveCapacity(ups * 3 + destination.count - common)
        for _ in 0..<ups { text.append(contentsOf: "../".utf8) }
        text.append(contentsOf: destination[common...])
        return String(decoding: text, as: UTF8.self)
    }
}

/// Something in the tree that is rendered from a few facts and rewritten as
/// a whole when those facts change.
protocol SysfsUnit: Equatable, Sendable {
    /// The unit's entries, every directory before what it contains.
    var entries: [SysfsEntry] { get }
}
