import Foundation
import Glibc

/// Creates `path` (mode 0755) unless it exists; returns it.
func makeWorkDirectory(_ path: String) throws -> String {
    guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw BenchError("mkdir \(path): \(String(cString: strerror(errno)))") }
    return path
}

/// The text of a file a spawned program wrote (its output, its errors), "" when unreadable.
func contents(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}
