import APModel
internal import Glibc
import HotplugEngine

/// `<state-dir>/engine.state`: the ``DaemonCore/Checkpoint`` that `aphotplug
/// handle` carries from one uevent to the next, so that each run restores the
/// engine instead of scanning a 65,536-queue tree.
///
/// Written atomically (a temporary file in the same directory, `fsync(2)`,
/// `rename(2)`), mode 0600. Layout: the magic `APHS`, the format version
/// (varint), the position, the handled SEQNUMs, the last read-backs, the
/// last definition files, then the engine (``Engine/encode(to:)``, with its own magic and version).
public enum EngineStateFile {
    public static let name = "engine.state"
    /// The version ``encode(_:)`` writes and ``decode(_:)`` reads.
    public static let version: UInt64 = 1
    static let magic = Array("APHS".utf8)

    /// The path of the file in `stateDirectory`.
    public static func path(in stateDirectory: String) -> String { stateDirectory + "/" + name }

    // MARK: Codec

    public static func encode(_ checkpoint: DaemonCore.Checkpoint) -> [UInt8] {
        var encoder = PersistedEncoder()
        encoder.raw(magic)
        encoder.varint(version)
        encoder.varint(checkpoint.position)
        encoder.varint(UInt64(checkpoint.handledSeqnums.seqnums.count))
        for seqnum in checkpoint.handledSeqnums.seqnums { encoder.varint(seqnum) }
        encoder.varint(UInt64(checkpoint.lastRead.count))
        for path in checkpoint.lastRead.keys.sorted() {
            encoder.string(path)
            encoder.string(checkpoint.lastRead[path]!)
        }
        encoder.varint(UInt64(checkpoint.lastDefinitions.count))
        for uuid in checkpoint.lastDefinitions.keys.sorted() {
            encoder.uuid(uuid)
            encoder.string(checkpoint.lastDefinitions[uuid]!)
        }
        checkpoint.engine.encode(to: &encoder)
        return encoder.bytes
    }

    /// - Throws: ``PersistedStateError`` naming the field and offset that are wrong.
    public static func decode(_ bytes: [UInt8]) throws(PersistedStateError) -> DaemonCore.Checkpoint {
        var decoder = PersistedDecoder(bytes)
        try decoder.raw(magic, "magic")
        let found = try decoder.varint("version")
        guard found == version else { throw decoder.error(.versionMismatch(found: found, expected: version), "version") }
        let position = try decoder.varint("position")
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
        let engine = try Engine(decoding: &decoder)
        try decoder.expectEnd("end")
        return DaemonCore.Checkpoint(
            engine: engine, position: position, lastRead: lastRead, lastDefinitions: lastDefinitions,
            handledSeqnums: SeqnumWindow(seqnums: seqnums))
    }

    // MARK: File

    /// What reading the file found.
    public enum Reading {
        case restored(DaemonCore.Checkpoint)
        /// No file: the first event since boot (or since `--state-dir` was emptied).
        case missing
        /// The file cannot be used; `reason` says why (errno text or ``PersistedStateError``).
        case unusable(reason: String)
    }

    public static func read(in stateDirectory: String) -> Reading {
        let path = path(in: stateDirectory)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return errno == ENOENT ? .missing : .unusable(reason: "\(path): \(errnoText(errno))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return .unusable(reason: "\(path): \(errnoText(errno))") }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        do {
            return .restored(try decode(bytes))
        } catch {
            return .unusable(reason: "\(path): \(error)")
        }
    }

    /// Replaces the file with `checkpoint`; returns a reason on failure (the old file stays then).
    @discardableResult
    public static func write(_ checkpoint: DaemonCore.Checkpoint, in stateDirectory: String) -> String? {
        let final = path(in: stateDirectory)
        let temporary = final + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return "\(temporary): \(errnoText(errno))" }
        let bytes = encode(checkpoint)
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
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
        if failure == nil && rename(temporary, final) != 0 { failure = errno }
        guard let failure else { return nil }
        unlink(temporary)
        return "\(final): \(errnoText(failure))"
    }
}
