import Foundation

/// Finds an executable product built next to the running test bundle
/// (`.build/<triple>/<config>/`), as `swift build --build-tests` leaves it when the
/// executable target is a dependency of the test target.
public enum BuiltExecutable {
    /// The path of executable `name`. `APHOTPLUG_BUILD_DIR` overrides the search.
    public static func path(named name: String) throws -> String {
        var directories: [String] = []
        if let override = ProcessInfo.processInfo.environment["APHOTPLUG_BUILD_DIR"] { directories.append(override) }
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = argument0.deletingLastPathComponent()
        for _ in 0..<4 {
            directories.append(directory.path)
            directory = directory.deletingLastPathComponent()
        }
        if let bundle = Bundle.main.executableURL?.deletingLastPathComponent().path { directories.append(bundle) }
        for candidate in directories.map({ $0 + "/" + name }) where FileManager.default.isExecutableFile(atPath: candidate) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        throw HarnessError.executableMissing(name: name, searched: directories)
    }
}
