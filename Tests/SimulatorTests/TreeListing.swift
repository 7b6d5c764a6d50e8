import Glibc

/// Everything below `root`: path → `d` for directories, `l:<target>` for
/// links, `f<mode>:<content>` for files (content of readable files only).
func treeListing(_ root: String) -> [String: String] {
    var listing: [String: String] = [:]
    func walk(_ relative: String) {
        let path = relative.isEmpty ? root : root + "/" + relative
        guard let directory = opendir(path) else { return }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
        for name in names {
            let child = relative.isEmpty ? name : relative + "/" + name
            var info = stat()
            lstat(root + "/" + child, &info)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                listing[child] = "d"
                walk(child)
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: 4096)
                let count = readlink(root + "/" + child, &buffer, buffer.count - 1)
                listing[child] = "l:" + String(decoding: buffer.prefix(max(0, count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            default:
                let mode = String(info.st_mode & 0o777, radix: 8)
                listing[child] = "f\(mode):" + (readFile(root + "/" + child) ?? "")
            }
        }
    }
    walk("")
    return listing
}

/// A file's content, nil when it cannot be read.
func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = fread(&buffer, 1, buffer.count, file)
        if count == 0 { break }
        bytes += buffer.prefix(count)
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// A link's target text, nil when it is not a link.
func readLink(_ path: String) -> String? {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink(path, &buffer, buffer.count - 1)
    guard count >= 0 else { return nil }
    return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
