import APTestSupport
import Foundation
import Glibc
import Testing

/// `simulate --output/--jsonl PATH` writes into what the user named and replaces
/// only regular files; `status` prints guest names escaped.
@Suite struct OutputFileTests {
    static let script = "host adapters 4 domains 4\nmodprobe vfio_ap\nstart\nscan\n"

    static func simulate(_ arguments: [String], in directory: String) throws -> CommandLineRunner.Result {
        let scriptPath = directory + "/scenario"
        try script.write(toFile: scriptPath, atomically: false, encoding: .utf8)
        return try CommandLineRunner.run(["simulate", scriptPath] + arguments)
    }

    static func kind(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & S_IFMT
    }

    @Test("a character device stays a device (as root, --output /dev/null must not break the host)")
    func deviceNode() throws {
        guard geteuid() == 0 else { return }  // mknod needs root
        let directory = try TemporaryDirectory()
        let null = directory.path + "/null"
        #expect(mknod(null, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0)
        let result = try Self.simulate(["--output", null, "--jsonl", null], in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.kind(null) == S_IFCHR)
    }

    @Test("a symbolic link is written through and stays a link")
    func symbolicLink() throws {
        let directory = try TemporaryDirectory()
        let target = directory.path + "/target", link = directory.path + "/link"
        try "old".write(toFile: target, atomically: false, encoding: .utf8)
        #expect(symlink(target, link) == 0)
        let result = try Self.simulate(["--output", link], in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.kind(link) == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("monitor will print the received events"))
    }

    @Test("a FIFO is written into, not replaced")
    func fifo() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.path + "/fifo"
        #expect(mkfifo(fifo, 0o644) == 0)
        let reader = Thread {
            let descriptor = open(fifo, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while buffer.withUnsafeMutableBytes({ read(descriptor, $0.baseAddress, $0.count) }) > 0 {}
            close(descriptor)
        }
        reader.start()
        let result = try Self.simulate(["--jsonl", fifo, "--output", directory.path + "/udevadm"], in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.kind(fifo) == S_IFIFO)
    }

    @Test("a regular file is replaced whole, keeping its mode; a new one is created 0644")
    func regularFile() throws {
        let directory = try TemporaryDirectory()
        let existing = directory.path + "/existing", fresh = directory.path + "/fresh"
        try String(repeating: "x", count: 100_000).write(toFile: existing, atomically: false, encoding: .utf8)
        #expect(chmod(existing, 0o600) == 0)
        let result = try Self.simulate(["--output", existing, "--jsonl", fresh], in: directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try !String(contentsOfFile: existing, encoding: .utf8).contains("xxxx"))
        var info = stat()
        #expect(stat(existing, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(fresh, &info) == 0 && info.st_mode & 0o777 == 0o644)
        #expect(directory.entries == ["existing", "fresh", "scenario"])
    }

    @Test("status escapes terminal control characters in guest names")
    func statusEscapesGuestNames() throws {
        let directory = try TemporaryDirectory()
        let state = #"{"updated":"2026-12-07T00:00:00Z","state":{"mdevs":{"0b5e1c3a-1111-4c4c-8888-000000000001":{"guest":"vm\u001b]0;owned\u0007\u001b[2J\\x","assigned":{"adapters":["04"],"domains":["0006"],"control_domains":[]},"shadow":{"adapters":["04"],"domains":["0006"],"control_domains":[]},"blocker":true}}}}"#
        try state.write(toFile: directory.path + "/state.json", atomically: false, encoding: .utf8)
        let result = try CommandLineRunner.run(["status", "--state-dir", directory.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(result.stdout.contains(#"vm\x1b]0;owned\x07\x1b[2J\\x"#), "\(result.stdout)")
    }
}
