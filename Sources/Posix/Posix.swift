internal import Glibc

/// The one place that makes system calls retry `EINTR` and turns `-1` into a
/// typed ``Errno`` (swift-system's `valueOrErrno`, swift-nio's `syscall(blocking:_:)`).
public enum Posix {
    /// Calls `body` until it does not fail with `EINTR`.
    ///
    /// - Returns: what `body` returned, when it is not -1.
    /// - Throws: the ``Errno`` of a failure other than `EINTR`.
    @inlinable
    public static func retrying<Result: FixedWidthInteger>(_ body: () -> Result) throws(Errno) -> Result {
        while true {
            let result = body()
            if result != -1 { return result }
            let error = Errno.current
            if error != .interrupted { throw error }
        }
    }

    /// Writes all of `bytes` (`write(2)` again after a short write).
    ///
    /// - Throws: the ``Errno`` of the write that failed (`EPIPE`, `ENOSPC`, …);
    ///   `EIO` when a write takes nothing.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = try retrying { Glibc.write(descriptor, base + offset, bytes.count - offset) }
            if written == 0 { throw .ioError }
            offset += written
        }
    }

    /// ``writeAll(_:_:)`` of an array.
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws(Errno) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try writeAll(descriptor, buffer) } }.get()
    }

    /// ``writeAll(_:_:)`` of a text's UTF-8.
    public static func writeAll(_ descriptor: Int32, _ text: String) throws(Errno) {
        var text = text
        try text.withUTF8 { buffer in Result { () throws(Errno) in try writeAll(descriptor, UnsafeRawBufferPointer(buffer)) } }.get()
    }

    /// One `read(2)` into `buffer`; 0 at the end of the file.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try retrying { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
    }

    /// Reads to the end of the file, in chunks of `chunk` bytes.
    ///
    /// - Returns: the bytes, or nil as soon as there are more than `limit`.
    /// - Throws: the ``Errno`` of a read that failed.
    public static func readAll(_ descriptor: Int32, limit: Int, chunk: Int = 65_536) throws(Errno) -> [UInt8]? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let count = try buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) in try read(descriptor, into: raw) } }.get()
            if count == 0 { return bytes }
            bytes += buffer[..<count]
            if bytes.count > limit { return nil }
        }
    }

    /// Sleeps the calling thread for `duration`, the rest of it again after a
    /// signal (`nanosleep(2)` and its remaining time on `EINTR`).
    public static func sleep(_ duration: Duration) {
        let components = duration.components
        var request = timespec(
            tv_sec: Int(clamping: max(0, components.seconds)), tv_nsec: Int(max(0, components.attoseconds / 1_000_000_000)))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && Errno.current == .interrupted {
            request = remaining
        }
    }
}
