import Glibc

/// An open directory that plays `/sys`, with the syscalls both
/// ``DirectorySysfsTree`` and ``DirectorySysfsWriter`` use. Every path is
/// opened relative to the directory's descriptor (`openat`, `readlinkat`),
/// so the root is resolved once.
final class SysfsDirectory: Sendable {
    /// The root as given, for messages.
    let root: String
    private let descriptor: Int32

    /// sysfs shows at most a page per attribute.
    private static let pageSize = 4096

    /// Opens `root` (`O_RDONLY | O_DIRECTORY | O_CLOEXEC`).
    init(root: String) throws(SysfsError) {
        self.root = root
        let fd = root.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else { throw SysfsError(operation: .listDirectory, path: root, errno: Glibc.errno) }
        self.descriptor = fd
    }

    deinit { close(descriptor) }

    /// `root` joined with `path`, without doubled slashes.
    func displayPath(of path: String) -> String {
        if path.isEmpty { return root }
        return root.hasSuffix("/") ? root + path : root + "/" + path
    }

    /// The whole file: one `read` of up to a page, more reads only when the
    /// first one fills the page (large files in a test tree).
    func read(_ path: String) throws(SysfsError) -> String {
        let fd = openRelative(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(.read, path) }
        defer { close(fd) }
        let size = Self.pageSize
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { (page) throws(SysfsError) -> String in
            let count = Self.readRetrying(fd, page.baseAddress!, size)
            guard count >= 0 else { throw failure(.read, path) }
            if count < size { return String(decoding: UnsafeBufferPointer(rebasing: page[0..<count]), as: UTF8.self) }
            var bytes = Array(page)
            while true {
                let start = bytes.count
                bytes.append(contentsOf: repeatElement(0, count: 16 * size))
                let more = bytes.withUnsafeMutableBufferPointer { Self.readRetrying(fd, $0.baseAddress! + start, 16 * size) }
                guard more >= 0 else { throw failure(.read, path) }
                bytes.removeLast(16 * size - more)
                if more == 0 { return String(decoding: bytes, as: UTF8.self) }
            }
        }
    }

    /// The link's target text (`readlinkat`).
    func readLink(_ path: String) throws(SysfsError) -> String {
        let size = Self.pageSize
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { (buffer) throws(SysfsError) -> String in
            let count = path.withCString { name in
                buffer.withMemoryRebound(to: CChar.self) { readlinkat(descriptor, name, $0.baseAddress!, size) }
            }
            guard count >= 0 else { throw failure(.readLink, path) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    /// The entry names of a directory (`openat` + `fdopendir` + `readdir`).
    func list(_ path: String) throws(SysfsError) -> [String] {
        let fd = openRelative(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(.listDirectory, path) }
        guard let directory = fdopendir(fd) else {
            let error = failure(.listDirectory, path)
            close(fd)
            throw error
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            Glibc.errno = 0
            guard let entry = readdir(directory) else {
                if Glibc.errno != 0 { throw failure(.listDirectory, path) }
                return names
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Whether anything exists at `path` (`fstatat` without following links).
    func exists(_ path: String) -> Bool {
        var status = stat()
        let relative = path.isEmpty ? "." : path
        return relative.withCString { fstatat(descriptor, $0, &status, AT_SYMLINK_NOFOLLOW) } == 0
    }

    /// Writes `value` with `O_WRONLY | O_TRUNC` (as `echo value > attr` does)
    /// and one `write`; only a short write is followed by another.
    func write(_ path: String, _ value: String) throws(SysfsError) {
        let fd = openRelative(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw failure(.write(value: value), path) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        var offset = 0
        repeat {
            let written = bytes.withUnsafeBytes { raw in
                Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
            }
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                throw failure(.write(value: value), path)
            }
            offset += written
        } while offset < bytes.count
    }

    private func failure(_ operation: SysfsError.Operation, _ path: String) -> SysfsError {
        SysfsError(operation: operation, path: displayPath(of: path), errno: Glibc.errno)
    }

    /// `openat` relative to the root, retrying `EINTR`; -1 with errno set on failure.
    private func openRelative(_ path: String, _ flags: Int32) -> Int32 {
        let relative = path.isEmpty ? "." : path
        while true {
            let fd = relative.withCString { openat(descriptor, $0, flags) }
            if fd >= 0 || Glibc.errno != EINTR { return fd }
        }
    }

    private static func readRetrying(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let result = Glibc.read(fd, buffer, count)
            if result >= 0 || Glibc.errno != EINTR { return result }
        }
    }
}
