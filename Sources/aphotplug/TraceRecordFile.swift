import Agent
import Glibc
import Posix
import Sysfs
import Trace

/// The trace file `aphotplug record` writes as it goes: each record is appended
/// with one `write(2)` as it is fed, and a snapshot streams in 64 KiB pieces while
/// the scan reads the tree (``SnapshotLineWriter``), so a crash loses at most
/// the record being written and the file is valid JSON Lines up to there. A
/// snapshot whose scan failed is cut off again (`ftruncate`).
final class TraceRecordFile: TraceRecorder {
    private var descriptor: Int32
    private var snapshot: SnapshotLineWriter?
    /// Where the snapshot being written began.
    private var snapshotStart: off_t = 0
    /// The directory of the trace, for the links' temporary file.
    private let directory: String
    /// The (unlinked) temporary file of the snapshot's links, or -1.
    private var links: Int32 = -1

    init?(path: String) {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if descriptor < 0 { return nil }
        let slash = path.lastIndex(of: "/")
        directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    func record(_ record: TraceRecord) {
        guard descriptor >= 0 else { return }
        StandardStream.write(JSONLinesWriter.line(record), to: descriptor)
    }

    func snapshotRead(_ read: RecordingSysfsTree<DirectorySysfsTree>.Read) {
        guard descriptor >= 0 else { return }
        beginSnapshot()
        switch read {
        case .file(let path, let value): snapshot?.file(path, value)
        case .link(let path, let target): snapshot?.link(path, target)
        }
    }

    func endSnapshot() {
        guard descriptor >= 0 else { return }
        beginSnapshot()
        let links = links
        let descriptor = descriptor
        snapshot?.finish {
            // The links spilled to the unnamed temporary file, copied in behind the files.
            guard links >= 0, lseek(links, 0, SEEK_SET) == 0 else { return }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = (try? chunk.withUnsafeMutableBytes { raw in
                    Result { () throws(Errno) in try Posix.read(links, into: raw) }
                }.get()) ?? -1
                guard count > 0 else { break }
                StandardStream.write(String(decoding: chunk[..<count], as: UTF8.self), to: descriptor)
            }
        }
        endLinks()
        snapshot = nil
    }

    private func beginSnapshot() {
        guard snapshot == nil else { return }
        snapshotStart = lseek(descriptor, 0, SEEK_CUR)
        let descriptor = descriptor
        // A file next to the trace, unlinked at once, holds the links until the files are written.
        var template = Array((directory + "/.aphotplug-links.XXXXXX").utf8CString)
        links = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if links >= 0 { _ = template.withUnsafeBufferPointer { unlink($0.baseAddress!) } }
        let links = links
        snapshot = SnapshotLineWriter(
            emit: { StandardStream.write(String(decoding: $0, as: UTF8.self), to: descriptor) },
            spill: { bytes in
                if links >= 0 { StandardStream.write(String(decoding: bytes, as: UTF8.self), to: links) }
            })
    }

    private func endLinks() {
        if links >= 0 { Glibc.close(links) }
        links = -1
    }

    func abandonSnapshot() {
        guard snapshot != nil else { return }
        snapshot = nil
        endLinks()
        if snapshotStart >= 0, ftruncate(descriptor, snapshotStart) == 0 { lseek(descriptor, snapshotStart, SEEK_SET) }
    }

    func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }
}
