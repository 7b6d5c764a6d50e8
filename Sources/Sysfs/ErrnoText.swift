import Glibc

/// Names, classes and plain-word phrases for the errno values sysfs IO meets.
enum ErrnoText {
    static func code(_ errno: Int32) -> SysfsError.Code {
        switch errno {
        case ENOENT: return .notFound
        case EACCES, EPERM: return .permissionDenied
        case EBUSY: return .busy
        case EINVAL: return .invalid
        case ENODEV, ENXIO: return .noDevice
        case EADDRINUSE: return .addressInUse
        case EADDRNOTAVAIL: return .addressNotAvailable
        default: return .other
        }
    }

    /// `EADDRINUSE`; `errno 123` when the value is not in the table.
    static func name(_ errno: Int32) -> String {
        entry(errno)?.name ?? "errno \(errno)"
    }

    /// A short phrase such as `permission denied`; strerror(3) for values not in the table.
    static func phrase(_ errno: Int32) -> String {
        if let entry = entry(errno) { return entry.phrase }
        return String(cString: strerror(errno))
    }

    /// Messages quote at most this many characters of a value from outside.
    static let quoteLimit = 200

    /// `value` for messages: newlines, tabs and carriage returns as `\\n`, `\\t`,
    /// `\\r`, other control characters as `\\xNN` (so that a terminal shows them
    /// and is not steered by them), and cut after ``quoteLimit`` characters with a
    /// note of the whole length (a 100 MB attribute is not echoed whole).
    static func visible(_ value: String) -> String {
        var text = ""
        var shown = 0
        for character in value.unicodeScalars {
            guard shown < quoteLimit else {
                return text + "… (\(value.utf8.count) bytes in all)"
            }
            shown += 1
            switch character {
            case "\n": text += "\\n"
            case "\t": text += "\\t"
            case "\r": text += "\\r"
            case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}":
                let hex = String(character.value, radix: 16)
                text += "\\x" + (hex.count < 2 ? "0" : "") + hex
            default: text.unicodeScalars.append(character)
            }
        }
        return text
    }

    private static func entry(_ errno: Int32) -> (name: String, phrase: String)? {
        for entry in table where entry.errno == errno { return (entry.name, entry.phrase) }
        return nil
    }

    private static let table: [(errno: Int32, name: String, phrase: String)] = [
        (EPERM, "EPERM", "operation not permitted"),
        (ENOENT, "ENOENT", "no such file or directory"),
        (EINTR, "EINTR", "interrupted by a signal"),
        (EIO, "EIO", "input/output error"),
        (ENXIO, "ENXIO", "no such device or address"),
        (E2BIG, "E2BIG", "argument list too long"),
        (EBADF, "EBADF", "bad file descriptor"),
        (EAGAIN, "EAGAIN", "resource temporarily unavailable, try again"),
        (ENOMEM, "ENOMEM", "out of memory"),
        (EACCES, "EACCES", "permission denied"),
        (EFAULT, "EFAULT", "bad address"),
        (EBUSY, "EBUSY", "device or resource busy"),
        (EEXIST, "EEXIST", "already exists"),
        (ENODEV, "ENODEV", "no such device"),
        (ENOTDIR, "ENOTDIR", "a path component is not a directory"),
        (EISDIR, "EISDIR", "is a directory"),
        (EINVAL, "EINVAL", "invalid argument"),
        (ENFILE, "ENFILE", "too many open files in the system"),
        (EMFILE, "EMFILE", "too many open files"),
        (ENOSPC, "ENOSPC", "no space left on device"),
        (EROFS, "EROFS", "read-only file system"),
        (ERANGE, "ERANGE", "result out of range"),
        (ENAMETOOLONG, "ENAMETOOLONG", "path too long"),
        (ELOOP, "ELOOP", "too many levels of symbolic links"),
        (ENODATA, "ENODATA", "no data available"),
        (EOPNOTSUPP, "EOPNOTSUPP", "operation not supported"),
        (EADDRINUSE, "EADDRINUSE", "address already in use"),
        (EADDRNOTAVAIL, "EADDRNOTAVAIL", "address not available"),
        (ETIMEDOUT, "ETIMEDOUT", "timed out"),
        (EUSERS, "EUSERS", "too many users"),
    ]
}
