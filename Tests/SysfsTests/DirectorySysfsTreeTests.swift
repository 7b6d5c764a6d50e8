import APTestSupport
import Glibc
import Sysfs
import Foundation
import Testing

@Suite struct DirectorySysfsTreeTests {
    private func withTree<Result>(_ body: (String, DirectorySysfsTree) throws -> Result) throws -> Result {
        try withTemporaryDirectory { root throws in
            mkdir(root + "/bus", 0o755)
            mkdir(root + "/bus/ap", 0o755)
            mkdir(root + "/bus/ap/drivers", 0o755)
            try put(root + "/bus/ap/apmask", "0xff\n")
            try put(root + "/bus/ap/empty", "")
            try put(root + "/big", String(repeating: "05.0004\n", count: 10_000))
            symlink("../../bus/ap/drivers/vfio_ap", root + "/bus/ap/driver")
            symlink("nowhere", root + "/dangling")
            return try body(root, try DirectorySysfsTree(root: root))
        }
    }

    private func put(_ path: String, _ content: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        let bytes = Array(content.utf8)
        #expect(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == bytes.count)
        close(fd)
    }

    private func error<Value>(_ body: () throws(SysfsError) -> Value) -> SysfsError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func readsAttributesRaw() throws {
        try withTree { root, tree throws in
            #expect(try tree.readAttribute("bus/ap/apmask") == "0xff\n")
            #expect(try tree.readAttribute("bus/ap/empty") == "")
            #expect(tree.root == root)
        }
    }

    /// sysfs shows a page; only a matrix in a test tree (all 65,536 APQNs) is longer.
    @Test func readsOnlyMatricesLargerThanAPage() throws {
        try withTree { root, tree throws in
            #expect(error { () throws(SysfsError) in try tree.readAttribute("big") }?.errno == EFBIG)
            try String(repeating: "05.0004\n", count: 10_000).write(toFile: root + "/matrix", atomically: false, encoding: .utf8)
            #expect(try tree.readAttribute("matrix") == String(repeating: "05.0004\n", count: 10_000))
        }
    }

    @Test func readsLinksAndLists() throws {
        try withTree { root, tree throws in
            #expect(try tree.readLink("bus/ap/driver") == "../../bus/ap/drivers/vfio_ap")
            #expect(try tree.readLink("dangling") == "nowhere")
            #expect(try tree.listDirectory("bus/ap").sorted() == ["apmask", "driver", "drivers", "empty"])
            #expect(try tree.listDirectory("").sorted() == ["big", "bus", "dangling"])
            #expect(try tree.listDirectory("bus/ap/drivers") == [])
        }
    }

    @Test func existenceDoesNotFollowLinks() throws {
        try withTree { root, tree throws in
            #expect(tree.exists("bus/ap"))
            #expect(tree.exists("dangling"))
            #expect(tree.exists(""))
            #expect(!tree.exists("bus/ap/aqmask"))
        }
    }

    @Test func errorsNameTheFullPathAndErrno() throws {
        try withTree { root, tree throws in
                        #expect(error { () throws(SysfsError) in try tree.readAttribute("bus/ap/aqmask") }
                == SysfsError(operation: .read, path: root + "/bus/ap/aqmask", errno: ENOENT))
            #expect(error { () throws(SysfsError) in try tree.readAttribute("bus/ap") }
                == SysfsError(operation: .read, path: root + "/bus/ap", errno: EISDIR))
            // No attribute is a link: one is not followed (O_NOFOLLOW).
            #expect(error { () throws(SysfsError) in try tree.readAttribute("dangling") }?.errno == ELOOP)
            #expect(error { () throws(SysfsError) in try tree.readLink("bus/ap/apmask") }
                == SysfsError(operation: .readLink, path: root + "/bus/ap/apmask", errno: EINVAL))
            #expect(error { () throws(SysfsError) in try tree.listDirectory("bus/ap/apmask") }
                == SysfsError(operation: .listDirectory, path: root + "/bus/ap/apmask", errno: ENOTDIR))
            #expect(error { () throws(SysfsError) in try tree.listDirectory("devices") }?.code == .notFound)
            #expect(try tree.readOptionalAttribute("bus/ap/aqmask") == nil)
            #expect(try tree.readOptionalLink("bus/ap/nolink") == nil)
            #expect(error { () throws(SysfsError) in try tree.readOptionalLink("bus/ap/apmask") }?.code == .invalid)
        }
    }

    @Test func missingRootIsAnError() throws {
        try withTemporaryDirectory { root throws in
            let missing = root + "/nope"
            #expect(throws: SysfsError(operation: .listDirectory, path: missing, errno: ENOENT)) {
                try DirectorySysfsTree(root: missing)
            }
        }
    }

    @Test func displayPathJoinsOnce() throws {
        try withTemporaryDirectory { root throws in
            #expect(try DirectorySysfsTree(root: root + "/").displayPath(of: "bus/ap") == root + "/bus/ap")
            #expect(try DirectorySysfsTree(root: root).displayPath(of: "bus/ap") == root + "/bus/ap")
            #expect(try DirectorySysfsTree(root: root).displayPath(of: "") == root)
        }
    }
}

@Suite struct DirectorySysfsWriterTests {
    @Test func writesReplaceTheContent() throws {
        try withTemporaryDirectory { root throws in
            let fd = open(root + "/apmask", O_WRONLY | O_CREAT, 0o644)
            _ = "0xffffffffffffffff\n".withCString { write(fd, $0, strlen($0)) }
            close(fd)
            let writer = try DirectorySysfsWriter(root: root)
            try writer.writeAttribute("apmask", "-5\n")
            #expect(try DirectorySysfsTree(root: root).readAttribute("apmask") == "-5\n")
        }
    }

    @Test func writesNeverCreateAttributes() throws {
        try withTemporaryDirectory { root throws in
            let writer = try DirectorySysfsWriter(root: root)
            let path = "devices/vfio_ap/matrix/0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60/assign_adapter"
            let expected = SysfsError(operation: .write(value: "5"), path: root + "/" + path, errno: ENOENT)
            #expect(throws: expected) { try writer.writeAttribute(path, "5") }
            #expect(expected.description.hasPrefix("writing '5' to \(root)/\(path) failed with ENOENT: the attribute does not exist"))
        }
    }

    @Test func writingADirectoryFails() throws {
        try withTemporaryDirectory { root throws in
            mkdir(root + "/d", 0o755)
            let writer = try DirectorySysfsWriter(root: root)
            #expect(throws: SysfsError(operation: .write(value: "1"), path: root + "/d", errno: EISDIR)) {
                try writer.writeAttribute("d", "1")
            }
        }
    }
}
