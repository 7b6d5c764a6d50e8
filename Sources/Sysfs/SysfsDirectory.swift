import Glibc
import Posix

/// An open directory that plays `/sys`, with the syscalls both
/// ``DirectorySysfsTree`` and ``DirectorySysfsWriter`` use. Every path is
/// opened relative to the directory's descriptor (`openat`, `readlinkat`),
/// so the root is resolved once.
final class SysfsDirectory: Sendable {
    /// The root as given, for messages.
    let root: String
    private let descriptor: Int32

    /// sysfs shows at most a page per attribute.
    static let pageSize = 4096
    /// `matrix` and `guest_matrix` list every APQN as `%02x.%04x\n`: the kernel cuts
    /// them at a page, but trees written by the simulator and tests hold all 65,536 lines.
    static let matrixLimit = 65_536 * 8

    /// The most bytes an attribute at `path` may hold.
    /// Runs for every attribute of a coldplug: no allocation, one byte compared for most paths.
    func limit(for path: String) -> Int {
        if let fileLimit { return fileLimit }
        guard path.utf8.last == UInt8(ascii: "x") else { return Self.pageSize }
        let isMatrix = path == "matrix" || path.hasSuffix("/matrix") || path == "guest_matrix" || path.hasSuffix("/guest_matrix")
        return isMatrix ? Self.matrixLimit : Self.pageSize
    }

    /// Opening an attribute: no attribute is a symbolic link (ELOOP instead of
    /// following one), and a FIFO must not block the open or the read.
    static let attributeFlags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK

    /// Every file's limit instead of sysfs's, for directories of other files
    /// (mdevctl's definitions); nil: a page, a matrix 65,536 lines.
    private let fileLimit: Int?

    /// Opens `root` (`O_RDONLY | O_DIRECTORY | O_CLOEXEC`).
    init(root: String, fileLimit: Int? = nil) throws(SysfsError) {
        self.root = root
        self.fileLimit = fileLimit
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

    /// The whole attribute, at most ``limit(for:)`` bytes: one more is read to
    /// tell a longer one, which is an `EFBIG` error. One `read` of up to a page;
    /// more only for a matrix in a test tree. No `stat` on the common path (a
    /// coldplug reads 200,000 attributes): only an empty, would-block or
    /// overlong read asks whether the file is a FIFO or a device, and names it.
    func read(_ path: String) throws(SysfsError) -> String {
        let fd = openRelative(path, Self.attributeFlags)
        guard fd >= 0 else { throw failure(.read, path) }
        defer { close(fd) }
        let limit = limit(for: path)
        let first = min(Self.pageSize, limit) + 1
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: first) { (page) throws(SysfsError) -> String in
            guard let base = page.baseAddress else { return "" }
            let count = Self.readRetrying(fd, base, first)
            if count > 0 && count < first { return String(decoding: UnsafeBufferPointer(rebasing: page[0..<count]), as: UTF8.self) }
            if count < 0 && Glibc.errno != EAGAIN { throw failure(.read, path) }
            try requireRegularFile(fd, path)
            if count <= 0 { return "" }
            guard limit >= first else { throw tooLong(path, limit) }
            var bytes = Array(page[0..<count])
            while bytes.count <= limit {
                let start = bytes.count
                let want = min(16 * Self.pageSize, limit + 1 - start)
                bytes.append(contentsOf: repeatElement(0, count: want))
                let more = bytes.withUnsafeMutableBufferPointer { buffer in
                    buffer.baseAddress.map { Self.readRetrying(fd, $0 + start, want) } ?? 0
                }
                guard more >= 0 else { throw failure(.read, path) }
                bytes.removeLast(want - more)
                if more == 0 { return String(decoding: bytes, as: UTF8.self) }
            }
            throw tooLong(path, limit)
        }
    }

    /// Throws unless `fd` is a regular file: a FIFO or a device is no attribute.
    private func requireRegularFile(_ fd: Int32, _ path: String) throws(SysfsError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(.read, path) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SysfsError(operation: .read, path: displayPath(of: path), errno: EINVAL,
                             note: "it is \(Self.kindText(info.st_mode)), not an attribute file")
        }
    }

    private func tooLong(_ path: String, _ limit: Int) -> SysfsError {
        SysfsError(operation: .read, path: displayPath(of: path), errno: EFBIG,
                   note: "longer than \(limit) bytes, more than sysfs shows of an attribute")
    }

    private static func kindText(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "no regular file"
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
        do {
            try Posix.writeAll(fd, Array(value.utf8))
        } catch {
            throw SysfsError(operation: .write(value: value), path: displayPath(of: path), errno: error.rawValue)
        }
    }

    private func failure(_ operation: SysfsError.Operation, _ path: String) -> SysfsError {
        SysfsError(operation: operation, path: displayPath(of: path), errno: Glibc.errno)
    }

    /// `openat` relative to the root, retrying `EINTR`; -1 with errno set on failure.
    private func openRelative(_ path: String, _ flags: Int32) -> Int32 {
        let relative = path.isEmpty ? "." : path
        return (try? Posix.retrying { relative.withCString { openat(descriptor, $0, flags) } }) ?? -1
    }

    /// `read(2)` retrying `EINTR`; -1 with errno set on failure.
    private static func readRetrying(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        (try? Posix.read(fd, into: UnsafeMutableRawBufferPointer(start: buffer, count: count))) ?? -1
    }
}
