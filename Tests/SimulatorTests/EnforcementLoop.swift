import APModel
import Agent
import Glibc
import HotplugEngine
import Sysfs
import Testing
@testable import Simulator

/// The engine, the realizer and a simulated host, fed as the daemon feeds them.
struct EnforcementLoop {
    var engine = Engine()
    let host: SimulatedHost
    let realizer: MatrixRealizer
    var position: UInt64 = 1

    init(host: SimulatedHost, mode: MatrixRealizer.Mode = .enforce) throws {
        self.host = host
        realizer = MatrixRealizer(
            mode: mode, tree: host, writer: host, lock: S390APConfigLock(path: host.lockPath, retries: 0))
        let snapshot = try SnapshotReader(tree: MemorySysfsTree(host.kernel.sysfsImage)).read()
        var guests: [MdevUUID: String] = [:]
        for mdev in host.kernel.mdevs { guests[mdev.uuid] = mdev.guest }
        _ = engine.handle(.snapshot(snapshot, guests: guests, position: 0))
    }

    mutating func feed(_ event: EngineEvent) -> [Decision] { engine.handle(event) }

    /// Performs a host operation and feeds what the kernel emitted.
    mutating func perform(_ operation: Simulator.Operation) throws -> [Decision] {
        var decisions: [Decision] = []
        for record in try host.perform(operation) {
            position += 1
            decisions += engine.handle(record.engineEvent(position: position))
        }
        return decisions
    }

    /// Realizes the assign decisions, then feeds the read-back of every mdev.
    /// A realizer failure is recorded as a test issue.
    mutating func realizeAndReadBack(_ decisions: [Decision]) async -> [Decision] {
        let (result, failures) = await realizeAndReadBackCollecting(decisions)
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        return result
    }

    /// As ``realizeAndReadBack(_:)``, returning the realizer's failures as messages.
    mutating func realizeAndReadBackCollecting(_ decisions: [Decision]) async -> ([Decision], [String]) {
        var failures: [String] = []
        for decision in decisions where decision.kind == .assign {
            let outcome = await realizer.realize(decision)
            if let failure = outcome.failure { failures.append("realizing \(decision.jsonLine): \(failure.jsonLine)") }
        }
        var result: [Decision] = []
        for uuid in host.kernel.mdevs.map(\.uuid) {
            for attribute in ["matrix", "control_domains", "guest_matrix"] {
                let path = "devices/vfio_ap/matrix/\(uuid)/\(attribute)"
                guard let value = try? host.readAttribute(path) else { continue }
                position += 1
                result += engine.handle(.observed(path: "/sys/" + path, value: value, position: position))
            }
        }
        return (result, failures)
    }
}

/// A simulated host as the realizer sees it: sysfs reads of the kernel's current
/// image, and writes that go through the kernel's validation. Each write checks
/// that the s390 AP configuration lock is held by this process.
final class SimulatedHost: SysfsTree, SysfsWriter, @unchecked Sendable {
    private(set) var simulation: Simulation {
        didSet { cachedTree = nil }
    }
    private var cachedTree: MemorySysfsTree?
    /// The kernel's sysfs as it is now, built once per change.
    private var tree: MemorySysfsTree {
        if let cachedTree { return cachedTree }
        let tree = MemorySysfsTree(kernel.sysfsImage)
        cachedTree = tree
        return tree
    }
    private let apConfig: Bool
    let lockPath: String
    private(set) var writes: [(attribute: String, value: String)] = []
    private(set) var writesWithoutLock = 0

    var kernel: SimulatedKernel { simulation.kernel }

    /// `apConfig: false` hides `ap_config` from `features`, as kernels before ~6.12 do.
    init(_ simulation: Simulation, apConfig: Bool) throws {
        self.simulation = simulation
        self.apConfig = apConfig
        lockPath = "/tmp/aphotplug-test-s390apconfig-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).lock"
    }

    func perform(_ operation: Simulator.Operation) throws -> [SimulationRecord] {
        try simulation.perform(operation).records
    }

    func readAttribute(_ path: String) throws(SysfsError) -> String {
        if path == "devices/vfio_ap/matrix/features", !apConfig { return "guest_matrix hotplug\n" }
        return try tree.readAttribute(path)
    }

    func readLink(_ path: String) throws(SysfsError) -> String { try tree.readLink(path) }

    func listDirectory(_ path: String) throws(SysfsError) -> [String] {
        try tree.listDirectory(path)
    }

    func exists(_ path: String) -> Bool { tree.exists(path) }

    func displayPath(of path: String) -> String { "/sys/" + path }

    func writeAttribute(_ path: String, _ value: String) throws(SysfsError) {
        if S390APConfigLock(path: lockPath).holder() != getpid() { writesWithoutLock += 1 }
        let parts = path.split(separator: "/")
        guard parts.count == 5, let uuid = MdevUUID(parts[3]), let attribute = MdevAttribute(rawValue: String(parts[4])) else {
            throw SysfsError(operation: .write(value: value), path: path, errno: ENOENT)
        }
        do {
            // The operation is `echo value > attribute`: it adds the newline itself.
            _ = try simulation.perform(.writeMdev(uuid, attribute, value.hasSuffix("\n") ? String(value.dropLast()) : value))
            writes.append((attribute.rawValue, value))
        } catch {
            switch error {
            case .kernel(let code): throw SysfsError(operation: .write(value: value), path: path, errno: code.errno)
            case .invalidRequest: throw SysfsError(operation: .write(value: value), path: path, errno: EINVAL)
            }
        }
    }
}

extension KernelErrno {
    /// The `<errno.h>` value.
    var errno: Int32 {
        switch self {
        case .EBUSY: return Glibc.EBUSY
        case .EINVAL: return Glibc.EINVAL
        case .ENODEV: return Glibc.ENODEV
        case .EADDRINUSE: return Glibc.EADDRINUSE
        case .EADDRNOTAVAIL: return Glibc.EADDRNOTAVAIL
        case .EEXIST: return Glibc.EEXIST
        case .EPERM: return Glibc.EPERM
        case .ENOENT: return Glibc.ENOENT
        case .ERANGE: return Glibc.ERANGE
        case .EUSERS: return Glibc.EUSERS
        case .EAGAIN: return Glibc.EAGAIN
        }
    }
}
