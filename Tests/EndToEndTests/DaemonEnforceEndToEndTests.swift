import APModel
import APTestSupport
import Foundation
import Glibc
import Testing

/// `aphotplug daemon --mode enforce|dry-run` under umockdev: the mdevctl definition
/// asks for more than the mdev holds, and the daemon assigns it under s390-tools' lock.
///
/// To prove the lock is held *while* the daemon writes, the enforce test hides
/// `ap_config` from the matrix device's `features` (kernels before ~6.12), so the
/// daemon writes `assign_domain` and `assign_control_domain`, and makes those two
/// write-only attributes FIFOs: a write cannot complete before the test opens the
/// FIFO, so the test plays the kernel, receives the first write, checks that the lock
/// file names the daemon's PID while the daemon waits to make the second, and updates
/// `matrix`, `control_domains` and `guest_matrix` as the kernel would.
@Suite(
    "aphotplug daemon: enforce and dry-run",
    .enabled(if: UmockdevPreload.shouldRun, Comment(rawValue: UmockdevPreload.skipReason))
)
struct DaemonEnforceEndToEndTests {
    static let mdev = MonitorHarness.mdevUUID
    /// 04.0006 is assigned; the definition adds domain 7 and control domain 6.
    static let definition = """
        {"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"4"},\
        {"assign_domain":"6"},{"assign_domain":"7"},{"assign_control_domain":"6"}]}
        """

    /// The testbed with the standard host (04.0007 bound to vfio_ap too) and the
    /// definition; returns the daemon's extra arguments.
    static func prepare(mode: String, features: [String]) throws -> (testbed: UmockdevTestbed, lock: String, arguments: [String]) {
        var host = HostSnapshot.standard
        host.queues[1].driver = "vfio_ap"
        host.matrixDevice?.features = features
        let testbed = try UmockdevTestbed()
        try testbed.write(host)
        let mdevctl = testbed.root + "/mdevctl"
        try FileManager.default.createDirectory(atPath: mdevctl + "/matrix", withIntermediateDirectories: true)
        try Self.definition.write(toFile: mdevctl + "/matrix/" + mdev, atomically: true, encoding: .utf8)
        let lock = testbed.root + "/s390apconfig.lock"
        return (testbed, lock, ["--mode", mode, "--mdevctl-dir", mdevctl, "--lock-file", lock, "--poll-interval", "0.2"])
    }

    @Test("enforce waits for the lock, then writes assign_* while holding it, reads back, and the guest gets the domain")
    func enforceWritesUnderTheLock() async throws {
        let (testbed, lock, arguments) = try Self.prepare(mode: "enforce", features: ["guest_matrix", "hotplug"])
        // Another process (this test) holds the lock, as mdevctl's ap-check would.
        try "\(getpid())\n".write(toFile: lock, atomically: false, encoding: .utf8)
        let directory = "devices/vfio_ap/matrix/\(Self.mdev)/"
        let sys = testbed.root + "/sys/"
        for attribute in ["assign_domain", "assign_control_domain"] {
            unlink(sys + directory + attribute)
            #expect(mkfifo(sys + directory + attribute, 0o200) == 0)
        }

        // The test's side of the lock runs on a thread of its own, started before the
        // test awaits anything: CPU-bound suites running beside this one can keep the
        // cooperative pool busy for longer than the daemon's ~100 s of lock retries.
        // Once the daemon waits for the lock (its temporary file sits beside the lock),
        // the lock stays the test's for 500 ms, and nothing may be written meanwhile.
        let fifo = sys + directory + "assign_domain"
        let lockDirectory = (lock as NSString).deletingLastPathComponent
        let lockName = (lock as NSString).lastPathComponent
        let gate = ThreadTask { () -> Bool? in
            defer { unlink(lock) }
            let deadline = ContinuousClock.now + .seconds(60)
            while !((try? FileManager.default.contentsOfDirectory(atPath: lockDirectory)) ?? [])
                .contains(where: { $0.hasPrefix(lockName) && $0 != lockName }) {
                guard ContinuousClock.now < deadline else { return nil }
                usleep(5_000)
            }
            usleep(300_000)
            do {
                return try KernelFIFO.receiveWrite(fifo, within: .milliseconds(200)) {} == nil
            } catch {
                return nil
            }
        }
        let harness = try await DaemonHarness(arguments: arguments, testbed: testbed)
        let heldWithoutWrites = await gate.value
        #expect(heldWithoutWrites == true, "the daemon waited for the lock, and wrote nothing while it was the test's")
        let assign = try await harness.waitForDecision("assign")
        #expect(assign["mdev"] as? String == Self.mdev)
        #expect(assign["domains"] as? [String] == ["0007"])
        #expect(assign["control_domains"] as? [String] == ["0006"])
        #expect(assign["apqns"] as? [String] == ["04.0007"])

        var holders: [Int32?] = []
        let domain = try KernelFIFO.receiveWrite(sys + directory + "assign_domain", within: .seconds(10)) {
            holders.append(Self.lockHolder(lock))
        }
        #expect(domain == "0x0007\n")
        try testbed.writeFile(directory + "matrix", "04.0006\n04.0007\n")
        try testbed.writeFile(directory + "guest_matrix", "04.0006\n04.0007\n")
        try testbed.writeFile(directory + "control_domains", "0006\n")
        // The daemon cannot write assign_control_domain before this reader exists: it is
        // waiting for it now, and still holds the lock it took before the first write.
        try await Task.sleep(for: .milliseconds(50))
        holders.append(Self.lockHolder(lock))
        let control = try KernelFIFO.receiveWrite(sys + directory + "assign_control_domain", within: .seconds(10)) {}
        #expect(control == "0x0006\n")
        #expect(holders == [harness.process.processIdentifier, harness.process.processIdentifier])

        // The read-back shows the new assignment: domain 7 and control domain 6 are plugged.
        let plug = try await harness.waitForDecision("plug") { $0["apqns"] as? [String] == ["04.0007"] }
        #expect(plug["domains"] as? [String] == ["0007"])
        let controlPlug = try await harness.waitForDecision("plug") { ($0["apqns"] as? [String])?.isEmpty == true }
        #expect(controlPlug["domains"] as? [String] == ["0006"])
        let stderr = harness.process
        try await DaemonHarness.waitUntil(timeout: .seconds(10), "the writes logged; stderr: \(stderr.standardError)") {
            stderr.standardError.contains("wrote /sys/\(directory)assign_domain: 0x0007")
                && stderr.standardError.contains("wrote /sys/\(directory)assign_control_domain: 0x0006")
        }
        try await DaemonHarness.waitUntil(timeout: .seconds(10), "the lock released") { Self.lockHolder(lock) == nil }
        let problems = harness.decisions.filter { ["anomaly", "conflict", "divergence"].contains($0["kind"] as? String ?? "") }
        #expect(problems.isEmpty, "\(problems)")
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
    }

    @Test("dry-run says what it would write and writes nothing, without taking the lock")
    func dryRunWritesNothing() async throws {
        let (testbed, lock, arguments) = try Self.prepare(mode: "dry-run", features: ["guest_matrix", "hotplug", "ap_config"])
        let apConfig = "devices/vfio_ap/matrix/\(Self.mdev)/ap_config"
        let harness = try await DaemonHarness(arguments: arguments, testbed: testbed)
        _ = try await harness.waitForDecision("assign")
        let stderr = harness.process
        try await DaemonHarness.waitUntil(timeout: .seconds(10), "the dry-run line; stderr: \(stderr.standardError)") {
            stderr.standardError.contains("dry run: would write /sys/\(apConfig): \(Self.target.dropLast())")
        }
        // A few read-backs later, still nothing written and only one assign decision.
        try await Task.sleep(for: .milliseconds(600))
        #expect(try testbed.readFile(apConfig) == APMatrix([4], [6]).apConfigText)
        #expect(!FileManager.default.fileExists(atPath: lock))
        #expect(harness.decisions.filter { $0["kind"] as? String == "assign" }.count == 1)
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
    }

    /// chzdev's rule (`ap_write_type_udev`'s lines) keeping adapter 4 and domain 7
    /// for the host at boot: ap-check would refuse the definition
    /// (`check_cfg_mask_conflicts`), so the daemon reports the conflict and plans no
    /// write; when chzdev rewrites the rule without them, the next poll enforces it.
    @Test("a definition chzdev's persistent masks conflict with is refused until the rule changes")
    func persistentMaskRuleRefusesTheDefinition() async throws {
        var (testbed, _, arguments) = try Self.prepare(mode: "dry-run", features: ["guest_matrix", "hotplug", "ap_config"])
        let rules = testbed.root + "/41-ap.rules"
        func rule(apmask: APMask, aqmask: APMask) -> String {
            """
            # Generated by chzdev
            ACTION=="change", SUBSYSTEM=="ap", DEVPATH=="/devices/ap", ENV{BINDINGS}=="complete", ENV{COMPLETECOUNT}=="1", GOTO="cfg_ap"
            GOTO="end_ap"

            LABEL="cfg_ap"

            ATTR{../../bus/ap/apmask}="\(apmask.sysfsHex)"
            ATTR{../../bus/ap/aqmask}="\(aqmask.sysfsHex)"
            RUN{builtin}+="kmod load vfio_ap"

            LABEL="end_ap"

            """
        }
        try rule(apmask: APMask([4]), aqmask: APMask([7])).write(toFile: rules, atomically: true, encoding: .utf8)
        arguments += ["--ap-mask-rules", rules]
        let harness = try await DaemonHarness(arguments: arguments, testbed: testbed)
        let conflict = try await harness.waitForDecision("conflict")
        #expect(conflict["mdev"] as? String == Self.mdev)
        #expect(conflict["apqns"] as? [String] == ["04.0007"])
        #expect((conflict["cause"] as? String)?.contains("check_cfg_mask_conflicts") == true)
        try await Task.sleep(for: .milliseconds(600))
        #expect(harness.decisions.filter { $0["kind"] as? String == "assign" }.isEmpty)
        #expect(!harness.process.standardError.contains("dry run: would write"))

        try rule(apmask: APMask([0]), aqmask: APMask([0])).write(toFile: rules, atomically: true, encoding: .utf8)
        let assign = try await harness.waitForDecision("assign")
        #expect(assign["apqns"] as? [String] == ["04.0007"])
        #expect(try await harness.stop() == ChildProcess.Termination(status: 0, bySignal: false))
    }

    static let target = APMatrix([4], [6, 7], control: [6]).apConfigText

    static func lockHolder(_ path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The test's side of a FIFO that stands in for a sysfs attribute.
enum KernelFIFO {
    /// Receives one write: `whileWriting` runs as soon as the first bytes arrive,
    /// while the writer still has the FIFO open.
    static func receiveWrite(_ path: String, within timeout: Duration, whileWriting: () -> Void) throws -> String? {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let deadline = ContinuousClock.now + timeout
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = read(descriptor, &buffer, buffer.count)
            if count > 0 {
                if bytes.isEmpty { whileWriting() }
                bytes += buffer[0..<count]
            } else if count == 0 && !bytes.isEmpty {
                return String(decoding: bytes, as: UTF8.self)  // the writer closed
            } else if count < 0 && errno != EAGAIN {
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            usleep(1_000)
        }
        return nil
    }
}
