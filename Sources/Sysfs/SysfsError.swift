/// A failed sysfs read or write: what was attempted on which path, the errno,
/// and what that errno means there in plain words.
///
/// For writes the meaning is the kernel's, per attribute (kernel-ap.md §3.4,
/// §3.6, §3.7): `EADDRINUSE` from `assign_adapter` means an APQN is already
/// assigned to another mdev, while `EBUSY` from `apmask` means APQNs that
/// would return to the host are assigned to an mdev.
///
/// ```
/// writing '0x5' to /sys/devices/vfio_ap/matrix/<uuid>/assign_adapter failed with EADDRINUSE: an APQN of the resulting matrix is already assigned to another mediated device
/// ```
public struct SysfsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Coarse classes of errno, to switch on.
    public enum Code: Sendable {
        /// `ENOENT`: no such attribute, link or directory.
        case notFound
        /// `EACCES`, `EPERM`.
        case permissionDenied
        /// `EBUSY`.
        case busy
        /// `EINVAL`.
        case invalid
        /// `ENODEV`, `ENXIO`.
        case noDevice
        /// `EADDRINUSE`: an APQN is held by another mdev.
        case addressInUse
        /// `EADDRNOTAVAIL`: an APQN is host-owned.
        case addressNotAvailable
        /// Anything else; see ``SysfsError/errno``.
        case other
    }

    /// What was attempted.
    public enum Operation: Equatable, Sendable {
        case read
        case readLink
        case listDirectory
        /// Writing `value` (as given, newline or not).
        case write(value: String)
    }

    public var operation: Operation
    /// The full path, as ``SysfsTree/displayPath(of:)`` gives it.
    public var path: String
    /// The C `errno` the system call set, or the one that stands for ``note``.
    public var errno: Int32
    /// What is wrong when no system call failed: the path is a FIFO, or the
    /// attribute is longer than sysfs shows.
    public var note: String?

    public init(operation: Operation, path: String, errno: Int32, note: String? = nil) {
        self.operation = operation
        self.path = path
        self.errno = errno
        self.note = note
    }

    /// The errno's coarse class.
    public var code: Code { ErrnoText.code(errno) }

    /// The errno's symbolic name, `EADDRINUSE`; `errno 123` for unknown values.
    public var errnoName: String { ErrnoText.name(errno) }

    /// What the errno means for this operation on this attribute, in plain
    /// words; the kernel's meaning for writes to AP and vfio_ap attributes.
    public var meaning: String {
        switch operation {
        case .write:
            return KernelWriteMeaning.meaning(path: path, errno: errno) ?? ErrnoText.phrase(errno)
        case .read, .readLink, .listDirectory:
            return ErrnoText.phrase(errno)
        }
    }

    public var description: String {
        if let note { return "cannot read \(path): \(note)" }
        switch operation {
        case .read:
            return "cannot read \(path): \(meaning) (\(errnoName))"
        case .readLink:
            return "cannot read the link \(path): \(meaning) (\(errnoName))"
        case .listDirectory:
            return "cannot list \(path): \(meaning) (\(errnoName))"
        case .write(let value):
            return "writing '\(ErrnoText.visible(value))' to \(path) failed with \(errnoName): \(meaning)"
        }
    }
}
