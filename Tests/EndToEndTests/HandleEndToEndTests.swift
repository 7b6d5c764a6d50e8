import APModel
import APTestSupport
import Agent
import Foundation
import Glibc
import Testing

/// `aphotplug handle`, as udev runs it: the event in the environment, without a
/// daemon (restore, feed, read back, save) and with one (forward over control.sock).
@Suite(
    "aphotplug handle",
    .enabled(if: UmockdevPreload.shouldRun, Comment(rawValue: UmockdevPreload.skipReason))
)
struct HandleEndToEndTests {
    static let mdev = MonitorHarness.mdevUUID
    static let queue = APDevice.queue(APQN(adapter: 4, domain: 6)).devpath

    /// The environment udev gives a RUN program for `event`: its properties plus a PATH.
    static func environment(_ event: Uevent) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin"]
        for property in event.properties { environment[property.key] = property.value }
        return environment
    }

    /// Starts `aphotplug handle` with `environment` (and `--log-target json` unless `arguments` say otherwise).
    static func start(
        _ environment: [String: String], sysfsRoot: String, stateDir: String, arguments: [String] = ["--log-target", "json"]
    ) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutable.path(named: "aphotplug"))
        process.arguments = ["handle", "--sysfs-root", sysfsRoot, "--state-dir", stateDir] + arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out, err)
    }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The decision lines, parsed.
        var decisions: [[String: Any]] { stdout.split(separator: "\n").compactMap { try? MonitorHarness.object(String($0)) } }
    }

    static func finish(_ started: (Process, Pipe, Pipe)) -> Run {
        let (process, out, err) = started
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func handle(_ environment: [String: String], sysfsRoot: String, stateDir: String) throws -> Run {
        finish(try start(environment, sysfsRoot: sysfsRoot, stateDir: stateDir))
    }

    static func handle(
        _ event: Uevent, testbed: UmockdevTestbed, stateDir: String, arguments: [String] = ["--log-target", "json"]
    ) throws -> Run {
        finish(try start(environment(event), sysfsRoot: testbed.sysRoot, stateDir: stateDir, arguments: arguments))
    }

    /// Unbinds or re-binds 04.0006 in the tree as the kernel does, `guest_matrix` included
    /// (the adapter leaves, the domain stays: kernel-ap.md §3.7's `.%04lx` line).
    static func setQueueBound(_ bound: Bool, _ testbed: UmockdevTestbed) throws {
        try testbed.setDriver(of: queue, to: bound ? "vfio_ap" : nil)
        try testbed.writeFile("devices/vfio_ap/matrix/\(mdev)/guest_matrix", bound ? "04.0006\n" : ".0006\n")
    }

    static func checkpoint(in stateDir: String) throws -> DaemonCore.Checkpoint {
        let data = try Data(contentsOf: URL(fileURLWithPath: EngineStateFile.path(in: stateDir)))
        return try EngineStateFile.decode(file: Array(data)).checkpoint
    }

    static func shadow(in stateDir: String, mdev: String = mdev) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: StateFile.path(in: stateDir)))
        let file = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let entry = try #require(((file["state"] as? [String: Any])?["mdevs"] as? [String: Any])?[mdev] as? [String: Any])
        return try #require((entry["shadow"] as? [String: Any])?["adapters"] as? [String])
    }

    @Test("no daemon: the first event scans, later events use the saved state, a repeated SEQNUM is ignored")
    func standalone() throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let stateDir = testbed.root + "/state"

        // First event: no saved state, so the tree is scanned; it already shows the unbind.
        try Self.setQueueBound(false, testbed)
        let first = try Self.handle(KernelEvent.queue("unbind", "04.0006", seq: 300), testbed: testbed, stateDir: stateDir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.decisions.map { $0["kind"] as? String } == ["withhold"], "\(first.stdout)")
        #expect(first.decisions.first?["apqns"] as? [String] == ["04.0006"])
        let mode = try FileManager.default.attributesOfItem(atPath: EngineStateFile.path(in: stateDir))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try Self.checkpoint(in: stateDir).handledSeqnums.seqnums == [300])
        #expect(try Self.shadow(in: stateDir) == [])

        // Second event: restored, fed, decided.
        try Self.setQueueBound(true, testbed)
        let bind = KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 301)
        let second = try Self.handle(bind, testbed: testbed, stateDir: stateDir)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr == "")
        let plug = try #require(second.decisions.first)
        #expect(plug["kind"] as? String == "plug")
        #expect(plug["seq"] as? Int == 301)
        #expect(plug["apqns"] as? [String] == ["04.0006"])
        #expect(try Self.shadow(in: stateDir) == ["04"])

        // udev runs handle again for the same event: nothing happens.
        let again = try Self.handle(bind, testbed: testbed, stateDir: stateDir)
        #expect(again.status == 0)
        #expect(again.stdout == "")
        #expect(again.stderr.contains("SEQNUM 301 was handled already"))
        #expect(try Self.checkpoint(in: stateDir).handledSeqnums.seqnums == [300, 301])

        try Self.setQueueBound(false, testbed)
        let third = try Self.handle(KernelEvent.queue("unbind", "04.0006", seq: 302), testbed: testbed, stateDir: stateDir)
        #expect(third.decisions.map { $0["kind"] as? String } == ["unplug-adapter"])
        #expect(third.decisions.first?["seq"] as? Int == 302)

        // aphotplug status reads what handle wrote.
        let status = try DaemonHarness.run(["status", "--state-dir", stateDir])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains(Self.mdev))
    }

    @Test("a read-back after the event: an assignment made without a uevent is seen")
    func readBack() throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let stateDir = testbed.root + "/state"
        #expect(try Self.handle(KernelEvent.busRoot(["INITSCAN": "done"], seq: 10), testbed: testbed, stateDir: stateDir).status == 0)
        try testbed.writeFile("devices/vfio_ap/matrix/\(Self.mdev)/matrix", "04.0006\n04.0007\n")
        let run = try Self.handle(KernelEvent.card("change", 4, driver: "cex4card", seq: 11), testbed: testbed, stateDir: stateDir)
        #expect(run.decisions.contains { $0["kind"] as? String == "unplug-adapter" && $0["cause"] as? String == "domain 0007 assigned" },
                "\(run.stdout)")
    }

    @Test("no event in the environment: exit 64 with a clear message", arguments: [
        (["PATH": "/usr/bin"], "ACTION, DEVPATH, SUBSYSTEM are not set"),
        (["ACTION": "bind", "DEVPATH": "/devices/ap/card04", "SUBSYSTEM": ""], "SUBSYSTEM is not set"),
        (["ACTION": "bind", "DEVPATH": "/devices/ap/card04", "SUBSYSTEM": "ap", "SEQNUM": "x1"], "SEQNUM 'x1' is not a number"),
    ])
    func malformedEnvironment(environment: [String: String], message: String) throws {
        let testbed = try UmockdevTestbed()
        let stateDir = testbed.root + "/state"
        let run = try Self.handle(environment, sysfsRoot: testbed.sysRoot, stateDir: stateDir)
        #expect(run.status == 64)
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(run.stdout == "")
        #expect(!FileManager.default.fileExists(atPath: EngineStateFile.path(in: stateDir)))
    }

    @Test("an unusable engine.state is reported and replaced by a scan")
    func corruptState() throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let stateDir = testbed.root + "/state"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        try Data("not a state file".utf8).write(to: URL(fileURLWithPath: EngineStateFile.path(in: stateDir)))
        let run = try Self.handle(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 5), testbed: testbed, stateDir: stateDir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("no integrity line (truncated, or not written by aphotplug); scanning"), "\(run.stderr)")
        #expect(try Self.checkpoint(in: stateDir).handledSeqnums.seqnums == [5])
    }

    @Test("a bit flipped in a saved engine.state is caught, reported and replaced by a scan")
    func bitFlippedState() throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let stateDir = testbed.root + "/state"
        let first = try Self.handle(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 5), testbed: testbed, stateDir: stateDir)
        #expect(first.status == 0, "\(first.stderr)")
        let path = EngineStateFile.path(in: stateDir)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let run = try Self.handle(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 6), testbed: testbed, stateDir: stateDir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("integrity check failed"), "\(run.stderr)")
        #expect(run.stderr.contains("scanning"), "\(run.stderr)")
        #expect(try Self.checkpoint(in: stateDir).handledSeqnums.seqnums == [6])
    }

    @Test("a state directory writable by others is refused (exit 73), nothing is written into it")
    func insecureStateDirectory() throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let stateDir = testbed.root + "/state"
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true)
        #expect(chmod(stateDir, 0o1777) == 0)
        let run = try Self.handle(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 5), testbed: testbed, stateDir: stateDir)
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("writable by group or others"), "\(run.stderr)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: stateDir)) ?? ["?"]).isEmpty)
    }

    @Test("16 handles at once, one event each: serialized by handle.lock, every event in the saved state")
    func concurrent() async throws {
        let testbed = try UmockdevTestbed()
        let adapters = (UInt8(0)..<16).map { $0 }
        let mdev = MdevUUID(Self.mdev)!
        try testbed.write(HostSnapshot.passthroughHost(
            adapters: adapters, domains: [6],
            mdevs: [.init(uuid: mdev, assigned: APMatrix(adapters, [6]), guestMatrix: APMatrix(adapters, [6]))]))
        let stateDir = testbed.root + "/state"
        let prime = try Self.handle(KernelEvent.busRoot(["INITSCAN": "done"], seq: 1_000), testbed: testbed, stateDir: stateDir)
        #expect(prime.status == 0, "\(prime.stderr)")
        #expect(try Self.shadow(in: stateDir).count == 16)

        for adapter in adapters { try testbed.setDriver(of: APDevice.queue(APQN(adapter: adapter, domain: 6)).devpath, to: nil) }
        var started: [(Process, Pipe, Pipe)] = []
        for adapter in adapters {
            let event = KernelEvent.queue("unbind", APQN(adapter: adapter, domain: 6).description, seq: 1_001 + UInt64(adapter))
            started.append(try Self.start(Self.environment(event), sysfsRoot: testbed.sysRoot, stateDir: stateDir))
        }
        let runs = started.map(Self.finish)
        #expect(runs.map(\.status) == Array(repeating: 0, count: 16), "\(runs.map(\.stderr))")
        let unplugs = runs.flatMap(\.decisions).filter { $0["kind"] as? String == "unplug-adapter" }
        #expect(unplugs.compactMap { ($0["adapters"] as? [String])?.first }.sorted() == adapters.map { APID($0).description })
        #expect(runs.allSatisfy { $0.stderr.isEmpty }, "\(runs.map(\.stderr))")

        let checkpoint = try Self.checkpoint(in: stateDir)
        #expect(checkpoint.handledSeqnums.seqnums.sorted() == (1_000...1_016).map { UInt64($0) })
        #expect(try Self.shadow(in: stateDir) == [])
        #expect(!FileManager.default.fileExists(atPath: EngineStateFile.path(in: stateDir) + ".tmp"))
    }

    @Test("--mode enforce assigns what the definition asks for, once; --mode dry-run only says what it would write",
          arguments: ["enforce", "dry-run"])
    func enforce(mode: String) throws {
        var host = HostSnapshot.standard
        host.queues[1].driver = "vfio_ap"  // 04.0007
        let testbed = try UmockdevTestbed()
        try testbed.write(host)
        let stateDir = testbed.root + "/state"
        let mdevctl = testbed.root + "/mdevctl"
        try FileManager.default.createDirectory(atPath: mdevctl + "/matrix", withIntermediateDirectories: true)
        try DaemonEnforceEndToEndTests.definition.write(toFile: mdevctl + "/matrix/" + Self.mdev, atomically: true, encoding: .utf8)
        let lock = testbed.root + "/s390apconfig.lock"
        let arguments = ["--log-target", "json", "--mode", mode, "--mdevctl-dir", mdevctl, "--lock-file", lock]
        let apConfig = "devices/vfio_ap/matrix/\(Self.mdev)/ap_config"
        let before = try testbed.readFile(apConfig)

        let first = try Self.handle(KernelEvent.queue("bind", "04.0007", driver: "vfio_ap", seq: 500), testbed: testbed,
                                    stateDir: stateDir, arguments: arguments)
        #expect(first.status == 0, "\(first.stderr)")
        let assign = try #require(first.decisions.first { $0["kind"] as? String == "assign" }, "\(first.stdout)")
        #expect(assign["domains"] as? [String] == ["0007"])
        #expect(assign["control_domains"] as? [String] == ["0006"])
        let written = APMatrix([4], [6, 7], control: [6]).apConfigText
        let verb = mode == "enforce" ? "wrote" : "dry run: would write"
        #expect(first.stderr.contains("\(verb) /sys/\(apConfig): \(written.trimmingCharacters(in: .newlines))"), "\(first.stderr)")
        #expect(try testbed.readFile(apConfig) == (mode == "enforce" ? written : before))
        #expect(!FileManager.default.fileExists(atPath: lock))

        // The assignment is asked for once, not again with the next event.
        let second = try Self.handle(KernelEvent.queue("change", "04.0007", extra: ["CONFIG": "1"], seq: 501), testbed: testbed,
                                     stateDir: stateDir, arguments: arguments)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "")
        #expect(second.stderr == "")
    }

    @Test("with the daemon running: handle forwards and writes nothing; the daemon decides once per SEQNUM, discards engine.state")
    func daemonPresent() async throws {
        // A state saved by handle before the daemon started would fall behind: the daemon discards it.
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let stale = try Self.handle(KernelEvent.busRoot(["INITSCAN": "done"], seq: 5), testbed: testbed, stateDir: testbed.root + "/state")
        #expect(stale.status == 0)
        #expect(FileManager.default.fileExists(atPath: EngineStateFile.path(in: testbed.root + "/state")))
        let harness = try await DaemonHarness(testbed: testbed)
        try harness.testbed.setDriver(of: Self.queue, to: nil)
        let unbind = KernelEvent.queue("unbind", "04.0006", seq: 300)
        let clock = ContinuousClock()
        var run: Run?
        let elapsed = try clock.measure { run = try Self.handle(unbind, testbed: harness.testbed, stateDir: harness.stateDir) }
        #expect(run?.status == 0, "\(run?.stderr ?? "")")
        #expect(run?.stdout == "")
        #expect(elapsed < .seconds(2))
        let unplug = try await harness.waitForDecision("unplug-adapter")
        #expect(unplug["seq"] as? Int == 300)
        #expect(!FileManager.default.fileExists(atPath: EngineStateFile.path(in: harness.stateDir)))

        // The same event from the monitor, then the next one: 300 is not decided twice.
        _ = try harness.injector.send(unbind)
        try harness.testbed.setDriver(of: Self.queue, to: "vfio_ap")
        _ = try harness.injector.send(KernelEvent.queue("bind", "04.0006", driver: "vfio_ap", seq: 301))
        try await harness.waitForDecision("plug") { $0["seq"] as? Int == 301 }
        #expect(harness.decisions.filter { $0["seq"] as? Int == 300 }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: EngineStateFile.path(in: harness.stateDir)))
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
    }

    @Test("a daemon killed with SIGKILL leaves control.sock behind; handle finds nobody listening and runs standalone")
    func staleSocket() async throws {
        let harness = try await DaemonHarness()
        #expect(try await harness.stop(signal: SIGKILL) == ChildProcess.Termination(status: SIGKILL, bySignal: true))
        #expect(FileManager.default.fileExists(atPath: ControlSocket.path(in: harness.stateDir)))
        try Self.setQueueBound(false, harness.testbed)
        let run = try Self.handle(KernelEvent.queue("unbind", "04.0006", seq: 300), testbed: harness.testbed, stateDir: harness.stateDir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.decisions.map { $0["kind"] as? String } == ["withhold"], "\(run.stdout)")
        #expect(try Self.checkpoint(in: harness.stateDir).handledSeqnums.seqnums == [300])
    }

    @Test("by default decisions go to the journal (udev shows a RUN program's output to nobody)")
    func journalByDefault() throws {
        let testbed = try UmockdevTestbed()
        try testbed.write(HostSnapshot.standard)
        let receiver = try DatagramReceiver(path: testbed.root + "/journal.sock")
        try Self.setQueueBound(false, testbed)
        let run = try Self.handle(KernelEvent.queue("unbind", "04.0006", seq: 70), testbed: testbed, stateDir: testbed.root + "/state",
                                  arguments: ["--journal-socket", receiver.notifySocket])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "")
        let datagram = try #require(receiver.receive())
        #expect(datagram.contains("APHOTPLUG_KIND=withhold\n"), "\(datagram)")
        #expect(datagram.contains("APHOTPLUG_MDEV=\(Self.mdev)\n"))
    }
}
