import APModel
import APTestSupport
import Foundation
import Glibc
import Sysfs
import Testing

/// Attributes a careless or hostile tree can hold: the scan ends, reads stay
/// within a page (a matrix within 65,536 lines), and messages quote a few hundred bytes.
@Suite struct HostileAttributeTests {
    static let attribute = "bus/ap/aqmask"

    /// The error of reading the typical snapshot from `root` after `plant` replaced
    /// ``attribute``, or nil when the read did not end within 5 s.
    static func readError(plant: (String) throws -> Void) throws -> SnapshotError?? {
        try withTemporaryDirectory { root in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            let path = root + "/" + attribute
            #expect(unlink(path) == 0)
            try plant(path)
            let tree = try DirectorySysfsTree(root: root)
            return finishing(within: .seconds(5)) { () -> SnapshotError? in
                do throws(SnapshotError) {
                    _ = try SnapshotReader(tree: tree).read()
                    return nil
                } catch {
                    return error
                }
            }
        }
    }

    @Test("a FIFO attribute does not hang the scan: an error that names it")
    func fifo() throws {
        let outcome = try Self.readError { #expect(mkfifo($0, 0o644) == 0) }
        let ended = try #require(outcome, "the scan hung on a FIFO")
        let error = try #require(ended)
        #expect(error.description.hasSuffix("bus/ap/aqmask: it is a FIFO, not an attribute file"), "\(error)")
    }

    @Test("a symbolic link to /dev/zero is not followed")
    func devZero() throws {
        let outcome = try Self.readError { #expect(symlink("/dev/zero", $0) == 0) }
        let ended = try #require(outcome, "the scan read /dev/zero without end")
        let error = try #require(ended)
        guard case .unreadable(let sysfs) = error else { Issue.record("\(error)"); return }
        #expect(sysfs.errno == ELOOP)
    }

    @Test("a 10 MB attribute: one page and a byte read, a short message")
    func hugeFile() throws {
        let outcome = try Self.readError { path in
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            #expect(descriptor >= 0)
            #expect(ftruncate(descriptor, 10 << 20) == 0)
            close(descriptor)
        }
        let ended = try #require(outcome, "the scan did not end")
        let error = try #require(ended)
        #expect(error.description.count < 400, "\(error.description.prefix(400))")
        guard case .unreadable(let sysfs) = error else { Issue.record("\(error.description.prefix(400))"); return }
        #expect(sysfs.errno == EFBIG)
        #expect(sysfs.description.contains("longer than 4096 bytes"))
    }

    @Test("an attribute of exactly a page is read; one byte more is refused")
    func pageBoundary() throws {
        try withTemporaryDirectory { root in
            let tree = try DirectorySysfsTree(root: root)
            let page = String(repeating: "a", count: 4096)
            try (page).write(toFile: root + "/page", atomically: false, encoding: .utf8)
            try (page + "b").write(toFile: root + "/more", atomically: false, encoding: .utf8)
            #expect(try tree.readAttribute("page") == page)
            #expect(throws: SysfsError.self) { try tree.readAttribute("more") }
            let matrix = String(repeating: "05.0004\n", count: 65_536)
            try matrix.write(toFile: root + "/guest_matrix", atomically: false, encoding: .utf8)
            #expect(try tree.readAttribute("guest_matrix") == matrix)
            try (matrix + "x").write(toFile: root + "/matrix", atomically: false, encoding: .utf8)
            #expect(throws: SysfsError.self) { try tree.readAttribute("matrix") }
        }
    }

    @Test("a malformed value is quoted at most 200 characters, control characters escaped")
    func quotedValues() throws {
        let long = SnapshotError.malformed(path: "p", value: String(repeating: "x", count: 100_000), expected: "0 or 1")
        #expect(long.description.count < 300)
        #expect(long.description.contains("(100000 bytes in all)"))
        let control = SnapshotError.malformed(path: "p", value: "\u{1B}[2J\u{07}ok\n", expected: "0 or 1")
        #expect(control.description == #"p holds '\x1b[2J\x07ok\n', expected 0 or 1"#)
    }

    @Test("ap_max_adapter_id beyond 255 or negative is malformed", arguments: ["256", "-1", "9223372036854775807"])
    func maximumIDOutOfRange(value: String) throws {
        try withTemporaryDirectory { root in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            try (value + "\n").write(toFile: root + "/bus/ap/ap_max_adapter_id", atomically: false, encoding: .utf8)
            #expect(throws: SnapshotError.malformed(
                path: root + "/bus/ap/ap_max_adapter_id", value: value + "\n", expected: "a decimal AP id from 0 to 255")) {
                _ = try SnapshotReader(tree: try DirectorySysfsTree(root: root)).read()
            }
        }
    }
}
