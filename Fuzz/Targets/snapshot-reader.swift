import APModel
import Sysfs

/// The snapshot reader over an in-memory sysfs tree. Input: one entry per line,
/// `path=value` for a file (`\n` in the value written as `\\n`) or `path->target`
/// for a link, as `scripts/fuzz seed` writes the golden trees.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var image = SysfsImage()
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
        if let arrow = line.firstRange(of: "->") {
            image.links[String(line[..<arrow.lowerBound])] = String(line[arrow.upperBound...])
        } else if let equals = line.firstIndex(of: "=") {
            image.files[String(line[..<equals])] = String(line[line.index(after: equals)...]).replacing("\\n", with: "\n")
        }
    }
    _ = try? SnapshotReader(tree: MemorySysfsTree(image)).read()
    return 0
}
