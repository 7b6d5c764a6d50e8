internal import Glibc
import Posix

/// Replaces a file atomically: the bytes go to `<path>.tmp` in the same directory,
/// are flushed with `fsync(2)`, and that file is renamed over `path`, so a reader
/// (`aphotplug status`, the next `aphotplug handle`) sees the old content or the
/// new, never half of one, even after a crash.
///
/// The temporary file is created with `O_CREAT | O_EXCL | O_NOFOLLOW`: whatever
/// sits at `<path>.tmp` (a stale temporary file from a crash, or a symbolic link
/// someone planted) is unlinked first, which removes a link itself and never its
/// target, and if something appears there again before the create, the write
/// fails instead of following it. `rename(2)` replaces a link at `path` itself too.
public enum AtomicFile {
    static let createFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC

    /// Writes `bytes` to `path` with permissions `mode`; returns the errno on
    /// failure, when the old file stays as it was.
    public static func replace(_ path: String, with bytes: [UInt8], mode: UInt32) -> Int32? {
        let temporary = path + ".tmp"
        if unlink(temporary) != 0 && errno != ENOENT { return errno }
        let descriptor = open(temporary, createFlags, mode)
        guard descriptor >= 0 else { return errno }
        var failure: Int32?
        do { try Posix.writeAll(descriptor, bytes) } catch { failure = error.rawValue }
        if failure == nil && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == nil { failure = errno }
        if failure == nil && rename(temporary, path) != 0 { failure = errno }
        guard let failure else { return nil }
        unlink(temporary)
        return failure
    }
}
