import Agent
import ArgumentParser
import Glibc

/// Standard output for commands whose output is their result (`replay`,
/// `simulate`, `demo`, `status`): buffered and written in large chunks, each
/// write checked. A write that fails (a full disk, a pipe whose reader is gone
/// while SIGPIPE is ignored, as under systemd) ends the command with exit
/// status 74 and a one-line reason instead of a trap.
struct ResultOutput {
    private var buffer = ""
    /// Written once the buffer holds this much.
    static let chunk = 1 << 16

    mutating func write(_ text: String) throws {
        buffer += text
        if buffer.utf8.count >= Self.chunk { try flush() }
    }

    mutating func line(_ text: String) throws { try write(text + "\n") }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        defer { buffer = "" }
        try Self.writeNow(buffer)
    }

    /// Writes `text` to standard output at once.
    static func writeNow(_ text: String) throws {
        if let error = StandardStream.writeAll(text, to: STDOUT_FILENO) {
            throw CommandExit.failure(.ioError, "standard output: \(String(cString: strerror(error)))")
        }
    }
}
