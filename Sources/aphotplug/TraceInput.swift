import Agent
import Glibc
import HotplugEngine
import Posix
import Sysfs
import Trace

/// One trace `replay` reads as a stream: a file, `-` (standard input), a pipe
/// or FIFO given by name (`<(zcat night.trace.gz)`, `/dev/stdin`). Bytes are
/// read in chunks and each complete record is replayed at once; the decisions
/// of a chunk are written before the next read, so `udevadm monitor … |
/// aphotplug replay -` is a live viewer. When a pipe, FIFO or terminal has
/// nothing more to read for ``idleTime``, the records it ended with are taken
/// as complete and a held AP bus scan is decided (``ReplaySession/settle()``),
/// as the daemon settles a burst. A regular file is never idle: replaying it
/// depends on its bytes alone.
struct TraceInput {
    let path: String
    /// The name in messages (`<stdin>` for `-`).
    var name: String { path == "-" ? "<stdin>" : path }
    /// Bytes per read.
    static let chunk = 1 << 20
    /// How long a live input must stay silent to count as idle (the daemon's settle delay).
    static let idleTime: Int32 = 100

    /// Replays every record of the trace into `session`, writing decisions to `output`.
    ///
    /// Exit 66 when the trace cannot be opened or read, 65 at the first
    /// malformed record (`file:line: expected …`, after the decisions of the
    /// records before it), 74 when the output cannot be written.
    func replay(into session: inout ReplaySession, output: inout ResultOutput) throws {
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CommandExit.failure(.noInput, "\(path): cannot read the trace: \(String(cString: strerror(errno)))")
        }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw CommandExit.failure(.noInput, "\(path): cannot read the trace: \(String(cString: strerror(errno)))")
        }
        if status.st_mode & S_IFMT == S_IFDIR {
            throw CommandExit.failure(.noInput, "\(path): cannot read the trace: it is a directory")
        }
        let live = status.st_mode & S_IFMT != S_IFREG
        var stream = TraceStreamReader(fileName: name)
        var buffer = [UInt8](repeating: 0, count: Self.chunk)
        while true {
            // What is decided is out before the next read may wait.
            try output.flush()
            let read = buffer.withUnsafeMutableBytes { bytes in Result { () throws(Errno) in try Posix.read(descriptor, into: bytes) } }
            let count: Int
            switch read {
            case .success(let read): count = read
            case .failure(let error):
                try output.flush()
                throw CommandExit.failure(.noInput, "\(path): cannot read the trace: \(error)")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { stream.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            try replay(stream.entries(atEnd: false), into: &session, output: &output)
            if live && !Self.readable(descriptor, within: Self.idleTime) {
                try replay(stream.entries(atEnd: false, idle: true), into: &session, output: &output)
                try output.print(session.settle())
            }
        }
        try replay(stream.entries(atEnd: true), into: &session, output: &output)
    }

    /// Replays parsed records; a malformed one ends the command after what came before it.
    private func replay(
        _ entries: @autoclosure () throws(TraceError) -> [TraceEntry], into session: inout ReplaySession,
        output: inout ResultOutput
    ) throws {
        let parsed: [TraceEntry]
        do {
            parsed = try entries()
        } catch {
            // The input ends at the bad record: what the records before it decide is out first.
            try output.print(session.settle())
            try output.flush()
            throw CommandExit.failure(.dataError, error.description)
        }
        for entry in parsed {
            do {
                try output.print(try session.replay(entry.record, microseconds: entry.microseconds))
            } catch let error as SnapshotError {
                try output.flush()
                throw CommandExit.failure(.dataError, "\(name):\(entry.line): snapshot record: \(error)")
            }
        }
    }

    /// Whether `descriptor` has data (or end of file) within `milliseconds`.
    private static func readable(_ descriptor: Int32, within milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return (try? Posix.retrying { poll(&entry, 1, milliseconds) }) != 0
    }
}
