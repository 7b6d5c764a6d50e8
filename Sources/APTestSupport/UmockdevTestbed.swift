import APModel
import Foundation
import Glibc

/// A fresh, short temporary directory laid out for umockdev's preload
/// (testing-with-umockdev.md, approach A): `<root>/sys` holds the fake sysfs, `<root>/dev`
/// exists, and every monitor the program under test arms appears as a socket
/// `<root>/event<fd>`.
///
/// The directory is removed on deinit. Its path is kept short because
/// `<root>/event<N>` must fit `sockaddr_un.sun_path` (108 bytes).
public final class UmockdevTestbed: @unchecked Sendable {
    /// The testbed directory (the value of `UMOCKDEV_DIR`).
    public let root: String

    /// `<root>/sys`.
    public var sysRoot: String { root + "/sys" }

    /// Creates `<dir>/aphp.XXXXXX` with `sys/` and `dev/`: in `base` when given, else in
    /// `$TMPDIR` when that keeps socket paths short, else in `/tmp`.
    public init(in base: String? = nil) throws {
        let tmp = base ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.utf8.count <= 60 ? $0 : nil } ?? "/tmp"
        var template = Array((tmp + "/aphp.XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HarnessError.systemCall("mkdtemp", errno: errno)
        }
        root = String(cString: made)
        try FileManager.default.createDirectory(atPath: root + "/sys", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/dev", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes the sysfs tree of `snapshot` under `<root>/sys` with ``SysfsTreeWriter``.
    public func write(_ snapshot: HostSnapshot) throws {
        try SysfsTreeWriter.write(snapshot, to: sysRoot)
    }

    /// Writes every file and link of `image` under `<root>/sys` (paths relative to the
    /// sysfs root, link targets as given), creating directories as needed.
    public func write(_ image: SysfsImage) throws {
        for (path, content) in image.files.sorted(by: { $0.key < $1.key }) {
            try writeFile(path, content)
        }
        for (path, target) in image.links.sorted(by: { $0.key < $1.key }) {
            try symlink(path, target: target)
        }
    }

    /// Writes `content` to `<root>/sys/<path>`, replacing what was there.
    public func writeFile(_ path: String, _ content: String) throws {
        let full = sysRoot + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try content.write(toFile: full, atomically: false, encoding: .utf8)
    }

    /// Reads `<root>/sys/<path>`.
    public func readFile(_ path: String) throws -> String {
        try String(contentsOfFile: sysRoot + "/" + path, encoding: .utf8)
    }

    /// Creates (or replaces) the symlink `<root>/sys/<path>` → `target`.
    public func symlink(_ path: String, target: String) throws {
        let full = sysRoot + "/" + path
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(full)
        guard Glibc.symlink(target, full) == 0 else { throw HarnessError.systemCall("symlink \(full)", errno: errno) }
    }

    /// Removes `<root>/sys/<path>` (file, link or directory tree); no error if absent.
    public func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: sysRoot + "/" + path)
    }

    /// Binds or unbinds a device the way sysfs shows it: the `driver` link and the
    /// `DRIVER=` line of its `uevent` file. The kernel removes the link before it sends
    /// `unbind`, so call this before injecting the event.
    ///
    /// - Parameters:
    ///   - devpath: `/devices/ap/card04/04.0006`.
    ///   - driver: the new driver, or nil to unbind.
    ///   - bus: the bus whose `drivers/` directory holds the driver.
    public func setDriver(of devpath: String, to driver: String?, bus: String = "ap") throws {
        let device = String(devpath.dropFirst())
        var lines = try readFile(device + "/uevent").split(separator: "\n").map(String.init)
        lines.removeAll { $0.hasPrefix("DRIVER=") }
        remove(device + "/driver")
        if let driver {
            lines.append("DRIVER=" + driver)
            try symlink(device + "/driver", target: FixtureFiles.relative(
                from: device + "/driver", to: "bus/\(bus)/drivers/\(driver)"))
        }
        try writeFile(device + "/uevent", lines.joined(separator: "\n") + "\n")
    }

    /// Adds a device directory the way sysfs shows it: `uevent` (`SUBSYSTEM=<bus>`, then
    /// `ueventLines`, then `DRIVER=` when bound), the relative `subsystem` link, the
    /// `bus/<bus>/devices/<name>` link and, when bound, the `driver` link.
    ///
    /// - Parameter devpath: `/devices/ap/card04/04.0008`.
    public func addDevice(devpath: String, bus: String, ueventLines: [String], driver: String?) throws {
        let device = String(devpath.dropFirst())
        let name = String(device.split(separator: "/").last ?? "")
        try writeFile(device + "/uevent", (["SUBSYSTEM=" + bus] + ueventLines).joined(separator: "\n") + "\n")
        try symlink(device + "/subsystem", target: FixtureFiles.relative(from: device + "/subsystem", to: "bus/" + bus))
        let busLink = "bus/\(bus)/devices/" + name
        try symlink(busLink, target: FixtureFiles.relative(from: busLink, to: device))
        if driver != nil { try setDriver(of: devpath, to: driver, bus: bus) }
    }

    /// The monitor sockets, `<root>/event<digits>`, sorted.
    public var listenerSockets: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { name in
            name.hasPrefix("event") && name.count > 5 && name.dropFirst(5).allSatisfy(\.isASCIIDigit)
        }.sorted().map { root + "/" + $0 }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
