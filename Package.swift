// swift-tools-version: 6.1
import PackageDescription

/// Settings shared by every Swift target: explicit existentials and honest imports.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let propertyBased = Target.Dependency.product(name: "PropertyBased", package: "swift-property-based")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")

let package = Package(
    name: "aphotplug",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aphotplug", targets: ["aphotplug"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // The Prometheus registry and text exposition format for `daemon --metrics-file`.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // MARK: Pure core (no Glibc, no file IO, no clock)
        // IDs, 256-bit masks, matrices, uevents, host snapshots.
        .target(name: "APModel", swiftSettings: strictSettings),
        // The hot plug state machine: events in, decisions out.
        .target(name: "HotplugEngine", dependencies: ["APModel"], swiftSettings: strictSettings),
        // Trace codecs: `udevadm monitor --property` text and JSON Lines.
        .target(name: "Trace", dependencies: ["APModel"], swiftSettings: strictSettings),

        // MARK: Edges
        // The one system layer: typed errno, one EINTR-retrying syscall helper, one Unix datagram socket.
        .target(name: "Posix", swiftSettings: strictSettings),
        // Reads a sysfs tree (the host's or a directory) into a snapshot; writes attributes.
        .target(name: "Sysfs", dependencies: ["APModel", "Posix"], swiftSettings: strictSettings),
        // Kernel-side model (AP bus + vfio_ap + mdev core) writing a sysfs tree and uevents.
        .target(name: "Simulator", dependencies: ["APModel"], swiftSettings: strictSettings),
        // libudev, through pkg-config (Debian: libudev-dev).
        .systemLibrary(name: "CUdev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        // A thin Swift wrapper over libudev's monitor and enumerator.
        .target(name: "Udev", dependencies: ["CUdev", "APModel"], swiftSettings: strictSettings),
        // libvirt qemu hook: domain XML parsing and lifecycle mapping.
        .target(name: "LibvirtHook", dependencies: ["APModel"], swiftSettings: strictSettings),
        // Daemon wiring: monitor, coldplug, realizer, reporter.
        .target(name: "Agent", dependencies: ["APModel", "HotplugEngine", "Trace", "Sysfs", "Posix"], swiftSettings: strictSettings),
        // `daemon --metrics-file`: the engine's picture in Prometheus text format, for
        // node_exporter's textfile collector (apart, so Agent needs no Prometheus).
        .target(name: "MetricsFile", dependencies: ["APModel", "HotplugEngine", "Agent", prometheus], swiftSettings: strictSettings),

        // MARK: Executables
        .executableTarget(
            name: "aphotplug",
            dependencies: ["APModel", "HotplugEngine", "Trace", "Sysfs", "Simulator", "LibvirtHook", "Agent", "MetricsFile", "Udev", "Posix", argumentParser],
            swiftSettings: strictSettings
        ),
        // Benchmarks; coldplug and live run the aphotplug executable, hence the dependency.
        .executableTarget(
            name: "aphotplug-bench",
            dependencies: ["APModel", "HotplugEngine", "Trace", "Sysfs", "Simulator", "Agent", "LibvirtHook", "APTestSupport", "Posix", "aphotplug"],
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        // setns(2) for the test support, which Swift's Glibc module does not import.
        .target(name: "CTestSupport"),
        .target(
            name: "APTestSupport",
            dependencies: ["APModel", "HotplugEngine", "Trace", "Sysfs", "Posix", "CTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "APModelTests", dependencies: ["APModel", "APTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "HotplugEngineTests",
            dependencies: ["APModel", "HotplugEngine", "Trace", "Sysfs", "Agent", "APTestSupport", propertyBased],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AgentTests",
            dependencies: ["APModel", "Agent", "MetricsFile", "HotplugEngine", "Sysfs", "Trace", "Posix", "APTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TraceTests", dependencies: ["APModel", "Trace"], resources: [.copy("Fixtures")], swiftSettings: strictSettings),
        .testTarget(name: "SysfsTests", dependencies: ["APModel", "Sysfs", "APTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "SimulatorTests",
            dependencies: ["APModel", "Simulator", "HotplugEngine", "Sysfs", "Trace", "Agent", "APTestSupport", propertyBased],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LibvirtHookTests",
            dependencies: ["APModel", "LibvirtHook", "Agent", "HotplugEngine", "Trace", "APTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "EndToEndTests", dependencies: ["APModel", "Agent", "Posix", "APTestSupport", "aphotplug"], swiftSettings: strictSettings),
        .testTarget(name: "PosixTests", dependencies: ["Posix"], swiftSettings: strictSettings),
        .testTarget(name: "UdevTests", dependencies: ["APModel", "Udev"], swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6]
)
