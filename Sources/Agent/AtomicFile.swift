internal import Glibc

/// Replaces a file atomically: the bytes go to `<path>.tmp` in the same directory,
/// are flushed with `fsync(2)`, and that file is renamed over `path`, so a reader
/// (`aphotplug status`, the next `aphotplug handle`) sees the old content or the
/// new, never half of one, even after a crash.
enum AtomicFile {
    /// Writes `bytes` to `path` with permissions `mode`; returns the errno on
    /// failure, when the old file stays as it was.
    static func replace(_ path: String, with bytes: [UInt8], mode: mode_t) -> Int32? {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { return errno }
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        if failure == nil && fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 { failure = errno }
        guard let failure else { return nil }
        unlink(temporary)
        return failure
    }
}
