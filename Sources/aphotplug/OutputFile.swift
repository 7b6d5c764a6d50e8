import Glibc
import Posix

/// Writing a file the user named on the command line (`simulate --output`,
/// `--jsonl`) into what is there, as the shell's `>` would.
///
/// - Nothing there, or a regular file: the bytes go to a new temporary file
///   beside it (`O_CREAT | O_EXCL | O_NOFOLLOW`), are flushed and renamed over the
///   path, so a reader sees the old content or the new; an existing file keeps its mode.
/// - A device, a FIFO, a socket or a symbolic link: it is opened `O_WRONLY | O_TRUNC`
///   (a link is followed) and written, never replaced: as root, `--output /dev/null`
///   must leave `/dev/null` a device.
/// - A directory: `EISDIR`.
enum OutputFile {
    /// Writes `bytes` to `path`; the errno on failure.
    static func write(_ bytes: [UInt8], to path: String) -> Int32? {
        var info = stat()
        if lstat(path, &info) != 0 {
            guard errno == ENOENT else { return errno }
            return replace(path, with: bytes, mode: 0o644)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return replace(path, with: bytes, mode: info.st_mode & 0o7777)
        case S_IFDIR: return EISDIR
        default: return writeInPlace(path, bytes)
        }
    }

    private static func writeInPlace(_ path: String, _ bytes: [UInt8]) -> Int32? {
        let descriptor = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard descriptor >= 0 else { return errno }
        let failure = writeAll(descriptor, bytes)
        if close(descriptor) != 0 && failure == nil { return errno }
        return failure
    }

    private static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) -> Int32? {
        let temporary = path + ".aphotplug-\(getpid()).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { return errno }
        var failure = writeAll(descriptor, bytes)
        if failure == nil && fchmod(descriptor, mode) != 0 { failure = errno }
        if failure == nil && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == nil { failure = errno }
        if failure == nil && rename(temporary, path) != 0 { failure = errno }
        if failure != nil { unlink(temporary) }
        return failure
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Int32? {
        do {
            try Posix.writeAll(descriptor, bytes)
            return nil
        } catch {
            return error.rawValue
        }
    }
}
