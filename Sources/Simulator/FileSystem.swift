import Glibc

/// A failed file system call while writing a simulated sysfs tree.
public struct SysfsTreeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call (`open`, `symlink`, …).
    public var operation: String
    /// The absolute path.
    public var path: String
    /// `errno`.
    public var code: Int32

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(code)))"
    }
}

/// The few POSIX calls the tree writer needs, straight to Glibc (Foundation
/// is far slower for 65,536 queue directories).
enum FileSystem {
    static func makeDirectory(_ path: String) throws(SysfsTreeError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw SysfsTreeError(operation: "mkdir", path: path, code: errno) }
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws(SysfsTreeError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            try makeDirectory(prefix)
        }
    }

    /// Writes `content` into the file at `path`, creating it with `mode`.
    ///
    /// An existing file is overwritten in place and then cut to the new
    /// length rather than opened with `O_TRUNC`: ext4 forces a block
    /// allocation on close after a truncate to zero (`auto_da_alloc`), which
    /// made rewriting 65,536 `uevent` files take minutes.
    static func writeFile(_ path: String, _ content: String, mode: mode_t = 0o644) throws(SysfsTreeError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw SysfsTreeError(operation: "open", path: path, code: errno) }
        defer { close(descriptor) }
        var content = content
        let length = content.utf8.count
        let written = content.withUTF8 { buffer in buffer.isEmpty ? 0 : pwrite(descriptor, buffer.baseAddress, buffer.count, 0) }
        guard written == length else { throw SysfsTreeError(operation: "write", path: path, code: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SysfsTreeError(operation: "fstat", path: path, code: errno) }
        if info.st_size > length && ftruncate(descriptor, off_t(length)) != 0 {
            throw SysfsTreeError(operation: "ftruncate", path: path, code: errno)
        }
    }

    /// Replaces whatever is at `path` with a symlink to `target`.
    static func link(_ path: String, to target: String) throws(SysfsTreeError) {
        if symlink(target, path) == 0 { return }
        guard errno == EEXIST else { throw SysfsTreeError(operation: "symlink", path: path, code: errno) }
        try remove(path)
        if symlink(target, path) != 0 { throw SysfsTreeError(operation: "symlink", path: path, code: errno) }
    }

    /// Removes a file or link; a missing one is fine.
    static func remove(_ path: String) throws(SysfsTreeError) {
        if unlink(path) != 0 && errno != ENOENT { throw SysfsTreeError(operation: "unlink", path: path, code: errno) }
    }

    /// `rm -rf`: links are removed, never followed.
    static func removeTree(_ path: String) throws(SysfsTreeError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw SysfsTreeError(operation: "lstat", path: path, code: errno)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { return try remove(path) }
        guard let directory = opendir(path) else { throw SysfsTreeError(operation: "opendir", path: path, code: errno) }
        var children: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { children.append(name) }
        }
        closedir(directory)
        for child in children { try removeTree(path + "/" + child) }
        if rmdir(path) != 0 { throw SysfsTreeError(operation: "rmdir", path: path, code: errno) }
    }
}
