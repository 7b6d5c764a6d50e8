import Foundation
import Glibc

/// Runs `body` with a fresh directory `<base>/<prefix>.XXXXXX` and removes it
/// with everything in it afterwards (symlinks are removed, never followed).
/// For fixture trees and testbeds.
///
/// The base is `$TMPDIR` when set, else `/dev/shm` when writable (tmpfs:
/// creating the thousands of small files of a sysfs fixture is an order of
/// magnitude faster there than on a disk), else `/tmp`.
public func withTemporaryDirectory<Result>(
    prefix: String = "aphotplug", _ body: (String) throws -> Result
) throws -> Result {
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? (access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp")
    var template = Array((base + "/" + prefix + ".XXXXXX").utf8CString)
    guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw HarnessError.systemCall("mkdtemp \(base)", errno: errno)
    }
    let path = String(cString: created)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}
