internal import Glibc
import Posix

extension StateFile {
    /// The most bytes a state file may have (tens of mdevs take a few KiB).
    static let maximumFileSize = 16 << 20

    /// Why the state file could not be read.
    public enum ReadProblem: Error, Hashable, Sendable, CustomStringConvertible {
        /// There is none (ENOENT).
        case missing
        /// A symbolic link, a FIFO or anything but a regular file: never followed, never waited on.
        case notARegularFile(String)
        /// Larger than ``maximumFileSize``.
        case tooLarge
        /// open, fstat or read failed with this errno.
        case failed(Int32)

        public var description: String {
            switch self {
            case .missing: return "no state file"
            case .notARegularFile(let kind): return "\(kind), not a state file"
            case .tooLarge: return "larger than \(StateFile.maximumFileSize) bytes, not a state file"
            case .failed(let code): return errnoText(code)
            }
        }
    }

    /// The bytes of `<stateDirectory>/state.json`, opened with `O_NOFOLLOW |
    /// O_NONBLOCK` (a planted link fails instead of being followed, a FIFO opens
    /// at once), only if it is a regular file, and at most ``maximumFileSize`` of them.
    public static func readBytes(in stateDirectory: String) -> Result<[UInt8], ReadProblem> {
        let descriptor = open(path(in: stateDirectory), LockFileFlags.readOnly)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return .failure(.missing) }
            return .failure(code == ELOOP ? .notARegularFile("a symbolic link") : .failed(code))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(.failed(errno)) }
        guard isRegularFile(info.st_mode) else { return .failure(.notARegularFile(fileKindText(info.st_mode))) }
        do {
            guard let bytes = try Posix.readAll(descriptor, limit: maximumFileSize) else { return .failure(.tooLarge) }
            return .success(bytes)
        } catch {
            return .failure(.failed(error.rawValue))
        }
    }
}
