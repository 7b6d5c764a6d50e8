internal import Glibc
import APModel
import HotplugEngine
import Posix
import Trace

extension APMaskRulesReading {
    /// What chzdev's rule file says, read as s390-tools' ap-check reads it
    /// (``APMaskRulesReader``). The daemon, `handle` and replay convert
    /// through this one initializer.
    public init(_ content: ConfigFileContent) {
        switch content {
        case .absent:
            self = .read(PersistentAPMasks())
        case .text(let text):
            do {
                self = .read(try APMaskRulesReader.read(text, fileName: APMaskRulesReader.defaultPath))
            } catch {
                self = .unusable(reason: error.description)
            }
        case .unreadable(let reason):
            self = .unusable(reason: "\(APMaskRulesReader.defaultPath): \(reason)")
        }
    }
}

/// chzdev's persistent AP bus mask rule, `/etc/udev/rules.d/41-ap.rules` by
/// default (`--ap-mask-rules`).
///
/// The file lives in a directory only root may write, so a symbolic link is
/// followed as udev and ap-check follow it; a link to `/dev/null` (how udev
/// rules are masked) reads as an empty rule. It is opened with `O_NONBLOCK`
/// and read only when it is a regular file (or `/dev/null`), at most
/// ``fileLimit`` bytes.
public struct APMaskRulesFile: Sendable {
    public let path: String
    /// Called between two reads of a rule that could not be used or went away:
    /// chzdev removes the file and then writes it anew (`ap_write_type_udev`).
    let pause: @Sendable () -> Void
    /// chzdev writes about 400 bytes.
    public static let fileLimit = 1 << 20

    public init(path: String = APMaskRulesReader.defaultPath, pause: (@Sendable () -> Void)? = nil) {
        self.path = path
        self.pause = pause ?? { usleep(20_000) }
    }

    /// The file's content. One that cannot be used, or that is gone although
    /// `known` (what was fed last) had it, is read again up to
    /// ``MdevctlDirectory/rereads`` times with ``pause`` between, so that a
    /// read in the middle of chzdev's rewrite is not what gets reported.
    public func read(known: ConfigFileContent = .absent) -> ConfigFileContent {
        rereading(readOnce(), pause: pause, while: { $0 != known && isTransient($0, known: known) }, reread: readOnce)
    }

    private func isTransient(_ content: ConfigFileContent, known: ConfigFileContent) -> Bool {
        switch content {
        case .absent: return known != .absent
        case .text: if case .unusable = APMaskRulesReading(content) { return true } else { return false }
        case .unreadable: return true
        }
    }

    /// Whether `device` is the one `/dev/null` is.
    private static func isDevNull(_ device: dev_t) -> Bool {
        var null = stat()
        return stat("/dev/null", &null) == 0 && null.st_mode & S_IFMT == S_IFCHR && null.st_rdev == device
    }

    /// One read of the file.
    func readOnce() -> ConfigFileContent {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            return code == ENOENT ? .absent : .unreadable(reason: errnoText(code))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .unreadable(reason: errnoText(errno)) }
        if info.st_mode & S_IFMT == S_IFCHR, Self.isDevNull(info.st_rdev) { return .text("") }
        guard isRegularFile(info.st_mode) else { return .unreadable(reason: "\(fileKindText(info.st_mode)), not a rules file") }
        do {
            guard let bytes = try Posix.readAll(descriptor, limit: Self.fileLimit) else {
                return .unreadable(reason: "larger than \(Self.fileLimit) bytes, not a rules file")
            }
            return .text(String(decoding: bytes, as: UTF8.self))
        } catch {
            return .unreadable(reason: errnoText(error.rawValue))
        }
    }
}
