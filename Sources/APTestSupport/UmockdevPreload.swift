import Foundation

/// Finds `libumockdev-preload.so.0` (Debian package `umockdev`) and decides whether
/// umockdev tests run, are skipped, or fail.
///
/// Outside CI a missing library skips the suites with a printed reason. With `CI=true`
/// the suites run anyway and fail in ``require()``: CI installs umockdev, so its absence
/// there is a broken pipeline, not a reason to skip.
public enum UmockdevPreload {
    /// The preload library's soname.
    public static let libraryName = "libumockdev-preload.so.0"

    /// Where distributions put it: Debian/Ubuntu multiarch directories first, then
    /// Fedora/SUSE `lib64`, then plain `lib`.
    public static let searchDirectories = [
        "/usr/lib/x86_64-linux-gnu", "/usr/lib/s390x-linux-gnu", "/usr/lib/aarch64-linux-gnu",
        "/usr/lib/powerpc64le-linux-gnu", "/lib/x86_64-linux-gnu", "/lib/s390x-linux-gnu",
        "/usr/lib64", "/usr/lib",
    ]

    /// Overrides the search with one path (a nonexistent one simulates a missing umockdev).
    public static let overrideVariable = "APHOTPLUG_UMOCKDEV_PRELOAD"

    /// The library's full path, or nil.
    public static let path: String? = {
        let candidates = ProcessInfo.processInfo.environment[overrideVariable].map { [$0] }
            ?? searchDirectories.map { $0 + "/" + libraryName }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }()

    /// Whether the environment says this is a CI run (`CI=true`).
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Use as `.enabled(if: UmockdevPreload.shouldRun, UmockdevPreload.skipComment)`:
    /// true when the library exists, or in CI (where ``require()`` then fails the test).
    public static var shouldRun: Bool { path != nil || isCI }

    /// Why the suite is skipped.
    public static var skipReason: String {
        "\(libraryName) not found in \(searchDirectories.joined(separator: ", ")); install the Debian package umockdev"
    }

    /// The library's path; throws when it is missing (only reachable in CI or when
    /// called without checking ``shouldRun``).
    public static func require() throws -> String {
        guard let path else { throw HarnessError.preloadMissing(skipReason) }
        return path
    }
}
