import APModel
import Glibc
import Sysfs
import Testing

@Suite struct MemorySysfsTreeTests {
    private let tree = MemorySysfsTree(SysfsImage(
        files: [
            "bus/ap/apmask": "0xff\n",
            "devices/ap/card05/hwtype": "13\n",
            "devices/ap/card05/05.0004/config": "1\n",
            "top": "",
        ],
        links: [
            "devices/ap/card05/05.0004/driver": "../../../../bus/ap/drivers/vfio_ap",
            "bus/ap/devices/card05": "../../../devices/ap/card05",
        ]
    ))

    private func error<Value>(_ body: () throws(SysfsError) -> Value) -> SysfsError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func readsFilesRawAndLinksAsStored() throws {
        #expect(try tree.readAttribute("bus/ap/apmask") == "0xff\n")
        #expect(try tree.readAttribute("top") == "")
        #expect(try tree.readLink("devices/ap/card05/05.0004/driver") == "../../../../bus/ap/drivers/vfio_ap")
    }

    @Test func directoriesAreImpliedByPaths() throws {
        #expect(try tree.listDirectory("") == ["bus", "devices", "top"])
        #expect(try tree.listDirectory("bus/ap") == ["apmask", "devices"])
        #expect(try tree.listDirectory("devices/ap/card05") == ["05.0004", "hwtype"])
        #expect(try tree.listDirectory("devices/ap/card05/05.0004") == ["config", "driver"])
        #expect(try tree.listDirectory("bus/ap/devices") == ["card05"])
    }

    @Test func oddImageWithAFileAndADirectoryOfTheSameNameListsItOnce() throws {
        let odd = MemorySysfsTree(SysfsImage(files: ["a/b": "1\n", "a/b/c": "2\n", "a/d": ""]))
        #expect(try odd.listDirectory("a") == ["b", "d"])
        #expect(try odd.listDirectory("a/b") == ["c"])
        #expect(try odd.readAttribute("a/b") == "1\n")
    }

    @Test func existence() {
        #expect(tree.exists("bus/ap"))
        #expect(tree.exists("bus/ap/apmask"))
        #expect(tree.exists("bus/ap/devices/card05"))
        #expect(tree.exists(""))
        #expect(!tree.exists("bus/ap/aqmask"))
        #expect(!tree.exists("bus/a"))
    }

    @Test func errorsUseTheKernelsErrnos() {
        #expect(error { () throws(SysfsError) in try tree.readAttribute("bus/ap/aqmask") }
            == SysfsError(operation: .read, path: "/sys/bus/ap/aqmask", errno: ENOENT))
        #expect(error { () throws(SysfsError) in try tree.readAttribute("bus/ap") }
            == SysfsError(operation: .read, path: "/sys/bus/ap", errno: EISDIR))
        #expect(error { () throws(SysfsError) in try tree.readAttribute("bus/ap/devices/card05/hwtype") }?.code == .notFound)
        #expect(error { () throws(SysfsError) in try tree.readLink("bus/ap/apmask") }
            == SysfsError(operation: .readLink, path: "/sys/bus/ap/apmask", errno: EINVAL))
        #expect(error { () throws(SysfsError) in try tree.readLink("devices/ap/card05") }?.errno == EINVAL)
        #expect(error { () throws(SysfsError) in try tree.readLink("devices/ap/card05/driver") }?.errno == ENOENT)
        #expect(error { () throws(SysfsError) in try tree.listDirectory("bus/ap/apmask") }
            == SysfsError(operation: .listDirectory, path: "/sys/bus/ap/apmask", errno: ENOTDIR))
        #expect(error { () throws(SysfsError) in try tree.listDirectory("devices/vfio_ap") }?.errno == ENOENT)
    }

    @Test func displayPath() {
        #expect(tree.displayPath(of: "bus/ap") == "/sys/bus/ap")
        #expect(tree.displayPath(of: "") == "/sys")
    }
}

@Suite struct RecordingSysfsTreeTests {
    @Test func capturesSuccessfulReadsOnly() throws {
        let base = MemorySysfsTree(SysfsImage(
            files: ["bus/ap/apmask": "0xff\n", "bus/ap/scans": "3\n"],
            links: ["devices/ap/card05/driver": "../../../bus/ap/drivers/cex4card"]
        ))
        let recording = RecordingSysfsTree(base)
        #expect(try recording.readAttribute("bus/ap/apmask") == "0xff\n")
        #expect(try recording.readLink("devices/ap/card05/driver") == "../../../bus/ap/drivers/cex4card")
        #expect(try recording.readOptionalAttribute("bus/ap/aqmask") == nil)
        #expect(try recording.listDirectory("bus/ap") == ["apmask", "scans"])
        #expect(recording.exists("devices/ap/card05"))
        #expect(recording.displayPath(of: "x") == "/sys/x")
        #expect(recording.image == SysfsImage(
            files: ["bus/ap/apmask": "0xff\n"],
            links: ["devices/ap/card05/driver": "../../../bus/ap/drivers/cex4card"]
        ))
    }
}
