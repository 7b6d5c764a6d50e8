import APModel
internal import Glibc
import Posix
import HotplugEngine
import Trace

/// `<state-dir>/engine.state`: the ``DaemonCore/Checkpoint`` that `aphotplug
/// handle` carries from one uevent to the next, so that each run restores the
/// engine instead of scanning a 65,536-queue tree.
///
/// Written atomically (a temporary file in the same directory, `fsync(2)`,
/// `rename(2)`), mode 0600. Layout: the magic `APHS`, the format version
/// (varint), the boot ID it was saved in, the position, the handled SEQNUMs, the last read-backs, the
/// last definition files and chzdev's rule, then the engine (``Engine/encode(to:)``, with its own magic and version),
/// and last the integrity line `\ncrc32 xxxxxxxx\n`: the CRC-32 of every byte before it, in hex
/// (``seal(_:)``). A file whose line is missing or does not match, that is no regular file, or
/// that belongs to another user is reported and not trusted: the caller scans sysfs instead.
public enum EngineStateFile {
    public static let name = "engine.state"
    /// The version ``encode(_:)`` writes and ``decode(_:)`` reads.
    public static let version: UInt64 = 2
    static let magic = Array("APHS".utf8)
    /// The integrity line's text before the hex digits.
    static let checksumPrefix = Array("\ncrc32 ".utf8)
    /// `\ncrc32 ` + 8 hex digits + `\n`.
    static let checksumLineLength = checksumPrefix.count + 9
    /// A checkpoint of a full-scale host takes a few hundred KiB; a larger file is no state of ours.
    public static let maximumFileSize = 64 << 20

    /// The path of the file in `stateDirectory`.
    public static func path(in stateDirectory: String) -> String { stateDirectory + "/" + name }

    // MARK: Codec

    /// The file's bytes for `checkpoint`, saved during boot `bootID`.
    public static func encode(_ checkpoint: DaemonCore.Checkpoint, bootID: String) -> [UInt8] {
        var encoder = PersistedEncoder()
        encoder.raw(magic)
        encoder.varint(version)
        encoder.string(bootID)
        encoder.varint(checkpoint.position)
        encoder.varint(UInt64(checkpoint.handledSeqnums.seqnums.count))
        for seqnum in checkpoint.handledSeqnums.seqnums { encoder.varint(seqnum) }
        encoder.varint(UInt64(checkpoint.lastRead.count))
        for (path, value) in checkpoint.lastRead.sorted(by: { $0.key < $1.key }) {
            encoder.string(path)
            encoder.string(value)
        }
        let definitions = checkpoint.lastDefinitions.definitions
        encoder.varint(UInt64(definitions.count))
        for (uuid, content) in definitions.sorted(by: { $0.key < $1.key }) {
            encoder.uuid(uuid)
            encoder.string(content)
        }
        switch checkpoint.lastDefinitions.apMaskRules {
        case .absent:
            encoder.byte(0)
        case .text(let text):
            encoder.byte(1)
            encoder.string(text)
        case .unreadable(let reason):
            encoder.byte(2)
            encoder.string(reason)
        }
        checkpoint.engine.encode(to: &encoder)
        return encoder.bytes
    }

    /// The checkpoint in `bytes` and the boot ID it was saved in.
    ///
    /// - Throws: ``PersistedStateError`` naming the field and offset that are wrong.
    public static func decode(_ bytes: [UInt8]) throws(PersistedStateError) -> (checkpoint: DaemonCore.Checkpoint, bootID: String) {
        var decoder = PersistedDecoder(bytes)
        try decoder.raw(magic, "magic")
        let found = try decoder.varint("version")
        guard found == version else { throw decoder.error(.versionMismatch(found: found, expected: version), "version") }
        let bootID = try decoder.string("boot_id")
        let position = try decoder.varint("position")
        // Every event adds one; no run gets near 2^63, and a larger value would overflow there.
        guard position < 1 << 63 else { throw decoder.error(.invalidValue("position \(position) is beyond 2^63"), "position") }
        var seqnums: [UInt64] = []
        for _ in 0..<(try decoder.count("handled_seqnums")) { seqnums.append(try decoder.varint("handled_seqnums")) }
        var lastRead: [String: String] = [:]
        for index in 0..<(try decoder.count("last_read", minimumSize: 2)) {
            let path = try decoder.string("last_read[\(index)].path")
            lastRead[path] = try decoder.string("last_read[\(index)].value")
        }
        var lastDefinitions: [MdevUUID: String] = [:]
        for index in 0..<(try decoder.count("last_definitions", minimumSize: 38)) {
            let uuid = try decoder.uuid("last_definitions[\(index)].uuid")
            lastDefinitions[uuid] = try decoder.string("last_definitions[\(index)].content")
        }
        let apMaskRules: ConfigFileContent
        switch try decoder.byte("last_ap_mask_rules") {
        case 0: apMaskRules = .absent
        case 1: apMaskRules = .text(try decoder.string("last_ap_mask_rules.text"))
        case 2: apMaskRules = .unreadable(reason: try decoder.string("last_ap_mask_rules.reason"))
        case let other: throw decoder.error(.invalidValue("kind \(other)"), "last_ap_mask_rules")
        }
        let engine = try Engine(decoding: &decoder)
        try decoder.expectEnd("end")
        let checkpoint = DaemonCore.Checkpoint(
            engine: engine, position: position, lastRead: lastRead,
            lastDefinitions: DefinitionFiles(definitions: lastDefinitions, apMaskRules: apMaskRules),
            handledSeqnums: SeqnumWindow(seqnums: seqnums))
        return (checkpoint, bootID)
    }

    // MARK: Integrity line

    /// Why a file's bytes are not a sealed checkpoint.
    public enum IntegrityError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The file does not end in `\ncrc32 xxxxxxxx\n` (truncated, or not ours).
        case noChecksum
        /// The line's CRC-32 differs from the bytes before it (corrupted).
        case mismatch(stored: UInt32, computed: UInt32)

        public var description: String {
            switch self {
            case .noChecksum: return "no integrity line (truncated, or not written by aphotplug)"
            case .mismatch(let stored, let computed):
                return "integrity check failed (crc32 \(Self.hex(stored)) stored, \(Self.hex(computed)) computed): corrupted"
            }
        }

        static func hex(_ value: UInt32) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }
    }

    /// `payload` followed by its integrity line.
    public static func seal(_ payload: [UInt8]) -> [UInt8] {
        payload + checksumPrefix + Array(IntegrityError.hex(CRC32.checksum(payload)).utf8) + [UInt8(ascii: "\n")]
    }

    /// The payload of a sealed file, checked against its integrity line.
    public static func unseal(_ file: [UInt8]) throws(IntegrityError) -> ArraySlice<UInt8> {
        guard file.count >= checksumLineLength, file.last == UInt8(ascii: "\n") else { throw .noChecksum }
        let lineStart = file.count - checksumLineLength
        guard file[lineStart..<(lineStart + checksumPrefix.count)].elementsEqual(checksumPrefix),
              let stored = UInt32(String(decoding: file[(lineStart + checksumPrefix.count)..<(file.count - 1)], as: UTF8.self), radix: 16),
              file[(lineStart + checksumPrefix.count)..<(file.count - 1)].allSatisfy({ isLowercaseHex($0) })
        else { throw .noChecksum }
        let payload = file[..<lineStart]
        let computed = CRC32.checksum(payload)
        guard computed == stored else { throw .mismatch(stored: stored, computed: computed) }
        return payload
    }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    /// The checkpoint in a whole file's bytes: ``unseal(_:)`` then ``decode(_:)``.
    public static func decode(file: [UInt8]) throws -> (checkpoint: DaemonCore.Checkpoint, bootID: String) {
        try decode(Array(unseal(file)))
    }

    // MARK: File

    /// What reading the file found.
    public enum Reading {
        case restored(DaemonCore.Checkpoint)
        /// No file: the first event since boot (or since `--state-dir` was emptied,
        /// or since the daemon started: ``discard(in:)``).
        case missing
        /// The file cannot be used; `reason` says why (errno text or ``PersistedStateError``).
        case unusable(reason: String)
    }

    /// Reads the file; a file saved during another boot is unusable (SEQNUMs
    /// restart at boot, and the host may have changed).
    public static func read(in stateDirectory: String, bootID: String) -> Reading {
        let path = path(in: stateDirectory)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { return .missing }
            if code == ELOOP { return .unusable(reason: "\(path) is a symbolic link, not aphotplug's state") }
            return .unusable(reason: "\(path): \(errnoText(code))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .unusable(reason: "\(path): \(errnoText(errno))") }
        guard isRegularFile(info.st_mode) else {
            return .unusable(reason: "\(path) is \(fileKindText(info.st_mode)), not aphotplug's state")
        }
        guard info.st_uid == geteuid() else {
            return .unusable(reason: "\(path) is owned by uid \(info.st_uid), not by uid \(geteuid()): foreign, not trusted")
        }
        let read: [UInt8]?
        do {
            read = try Posix.readAll(descriptor, limit: maximumFileSize)
        } catch {
            return .unusable(reason: "\(path): \(errnoText(error.rawValue))")
        }
        guard let bytes = read else {
            return .unusable(reason: "\(path) is larger than \(maximumFileSize) bytes: not aphotplug's state")
        }
        do {
            let payload: [UInt8]
            do {
                payload = Array(try unseal(bytes))
            } catch {
                return .unusable(reason: "\(path): \(error)")
            }
            let (checkpoint, savedBootID) = try decode(payload)
            guard savedBootID == bootID else { return .unusable(reason: "\(path): saved during another boot (\(savedBootID))") }
            return .restored(checkpoint)
        } catch {
            return .unusable(reason: "\(path): \(error)")
        }
    }

    /// Removes the file. The daemon does this when it starts: from then on it
    /// handles the events, so the file would fall behind the host.
    public static func discard(in stateDirectory: String) {
        unlink(path(in: stateDirectory))
    }

    /// The kernel's ID of this boot (`/proc/sys/kernel/random/boot_id`), "" when unreadable.
    public static func currentBootID() -> String {
        let descriptor = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return "" }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return "" }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingTrailingNewlines
    }

    /// Replaces the file with `checkpoint`, saved during boot `bootID`; returns a
    /// reason on failure (the old file stays then).
    @discardableResult
    public static func write(_ checkpoint: DaemonCore.Checkpoint, bootID: String, in stateDirectory: String) -> String? {
        let final = path(in: stateDirectory)
        guard let failure = AtomicFile.replace(final, with: seal(encode(checkpoint, bootID: bootID)), mode: 0o600) else {
            return nil
        }
        return "\(final): \(errnoText(failure))"
    }
}

extension String {
    /// The text without trailing newlines.
    fileprivate var trimmingTrailingNewlines: String {
        var text = Substring(self)
        while text.hasSuffix("\n") { text = text.dropLast() }
        return String(text)
    }
}
