import Glibc

/// Creates files, directories and symlinks below a root directory with plain
/// system calls (fast enough for 65,536-queue fixture trees), creating
/// parent directories as needed.
struct FixtureFiles {
    let root: String
    private var createdDirectories: Set<String> = [""]

    init(root: String) throws {
        self.root = root
        try Self.makeDirectory(root, ignoringExisting: true)
    }

    /// Creates `path` and its missing parents.
    mutating func directory(_ path: String) throws {
        guard !createdDirectories.contains(path) else { return }
        if let slash = path.lastIndex(of: "/") { try directory(String(path[..<slash])) }
        try Self.makeDirectory(root + "/" + path, ignoringExisting: true)
        createdDirectories.insert(path)
    }

    /// Writes `content` to the file `path` (mode 0644, or 0200 for write-only attributes).
    mutating func file(_ path: String, _ content: String, writeOnly: Bool = false) throws {
        try parent(of: path)
        let full = root + "/" + path
        let fd = full.withCString { open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, writeOnly ? 0o200 : 0o644) }
        guard fd >= 0 else { throw HarnessError.systemCall("open \(full)", errno: errno) }
        defer { close(fd) }
        let bytes = Array(content.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw HarnessError.systemCall("write \(full)", errno: errno) }
    }

    /// Creates the symlink `path` → `target` (target text as given).
    mutating func link(_ path: String, _ target: String) throws {
        try parent(of: path)
        let full = root + "/" + path
        guard symlink(target, full) == 0 else { throw HarnessError.systemCall("symlink \(full)", errno: errno) }
    }

    /// A link target for a link at `path` pointing at `target` (both relative
    /// to the root): one `../` per directory above the link, as sysfs makes them.
    static func relative(from path: String, to target: String) -> String {
        let depth = path.split(separator: "/").count - 1
        return String(repeating: "../", count: depth) + target
    }

    private mutating func parent(of path: String) throws {
        if let slash = path.lastIndex(of: "/") { try directory(String(path[..<slash])) }
    }

    private static func makeDirectory(_ path: String, ignoringExisting: Bool) throws {
        guard mkdir(path, 0o755) == 0 || (ignoringExisting && errno == EEXIST) else {
            throw HarnessError.systemCall("mkdir \(path)", errno: errno)
        }
    }
}
