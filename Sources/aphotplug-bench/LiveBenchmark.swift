import APModel
import APTestSupport
import Agent
import Foundation
import Glibc
import Simulator
import Trace

/// design.md: "Live: the same 131,072-event burst through libudev under umockdev with
/// zero lost events and the final decision within 1 s of the last event; resident
/// memory under 40 MiB at full scale."
///
/// Runs the release daemon under umockdev's preload on a full-scale testbed, makes
/// sysfs show the host after the burst (as the kernel would), then injects the burst
/// with blocking sends (a full socket queue makes the sender wait, so the send rate is
/// the rate the daemon reads at). Events received are the `uevents` count of the
/// daemon's state file, which it writes once the burst has settled (100 ms quiet); the
/// final decision's time is when the decision file last grew.
///
/// Two bursts: the apmask flip of design.md, which hands every queue to vfio_ap but
/// changes no guest (its mdevs hold adapters only, see ``FullScaleFlip``), so it makes
/// no decisions; and an unbind and rebind of every queue under 16 attached guests, whose
/// last event plugs the last adapter back, which times the final decision.
///
/// With ``Transport/netlink`` (root) the same bursts go over real netlink instead, to a
/// daemon with its 128 MiB receive buffer in a private network namespace: the sender
/// never waits, so the figures are the daemon's own processing rate and how far behind
/// the sender it ends.
enum LiveBenchmark {
    /// How the events reach the daemon.
    enum Transport: String {
        /// umockdev's preload: datagrams to the monitor's `AF_UNIX` socket, blocking sends.
        case umockdev
        /// Real netlink multicast (group 2) in a private network namespace.
        case netlink
    }

    static func run(
        _ name: String, over transport: Transport, testbed: UmockdevTestbed, daemon: String, events: [Uevent],
        recording: Bool = false, prepare: () throws -> Void
    ) throws {
        let work = try makeWorkDirectory(testbed.root + "/live-" + transport.rawValue)
        let decisionsPath = work + "/decisions.jsonl", statePath = work + "/state/state.json"
        let listener = try NotifyListener(path: work + "/notify")
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = listener.path
        environment["JOURNAL_STREAM"] = nil
        // `aphotplug record` is the daemon writing its trace as it goes (design.md).
        let tracePath = work + "/trace.jsonl"
        let daemonArguments = (recording ? ["record", "--output", tracePath] : ["daemon"])
            + ["--state-dir", work + "/state", "--log-target", "json", "--poll-interval", "3600"]
        let program: SpawnedProgram
        print("live over \(transport.rawValue), \(name): machine \(Machine.description)")
        let start = ContinuousClock.now
        switch transport {
        case .umockdev:
            environment["LD_PRELOAD"] = try UmockdevPreload.require()
            environment["UMOCKDEV_DIR"] = testbed.root
            program = try SpawnedProgram(
                daemon, daemonArguments, environment: environment, output: decisionsPath, error: work + "/daemon.err")
        case .netlink:
            program = try SpawnedProgram(
                PrivateNetworkNamespace.unshare,
                PrivateNetworkNamespace.arguments(running: daemon, daemonArguments + ["--sysfs-root", testbed.sysRoot]),
                environment: environment, output: decisionsPath, error: work + "/daemon.err")
        }
        guard listener.waitForReady(timeout: .seconds(300)) else {
            throw BenchError("the daemon sent no READY=1 within 300 s: \(contents(work + "/daemon.err"))")
        }
        let coldplug = ContinuousClock.now - start
        let readyPeak = program.peakResidentKiB ?? 0
        let coldplugDecisions = contents(decisionsPath).split(separator: "\n").count

        try prepare()
        let lastSeqnum = events.last?.seqnum ?? 0
        let send: ([Uevent]) throws -> Void
        switch transport {
        case .umockdev: send = try UeventInjector(testbed: testbed, sendTimeout: .seconds(30)).send
        case .netlink: send = try NetlinkUeventSender(networkNamespaceOf: program.pid).send
        }
        let sendStart = ContinuousClock.now
        try send(events)
        let sendEnd = ContinuousClock.now

        var size = fileSize(decisionsPath)
        var lastGrowth: ContinuousClock.Instant?
        var received = 0
        var rescans = 0
        while true {
            let now = ContinuousClock.now
            let current = fileSize(decisionsPath)
            if current != size {
                size = current
                lastGrowth = now
            }
            if let counters = stateCounters(statePath), counters.uevents >= events.count {
                (received, rescans) = counters
                break
            }
            guard now - sendEnd < .seconds(120) else {
                throw BenchError("the state file did not show \(events.count) uevents within 120 s of the last send")
            }
            usleep(2000)
        }
        let settled = ContinuousClock.now
        let peak = program.peakResidentKiB ?? 0
        program.send(SIGTERM)
        let status = program.wait()
        guard status == 0 else { throw BenchError("the daemon exited with \(status) on SIGTERM") }

        let decisions = contents(decisionsPath).split(separator: "\n").dropFirst(coldplugDecisions)
        let finalDecision = decisions.last.map(String.init) ?? ""
        let finalSeq = seq(ofDecisionLine: finalDecision)
        let sendSeconds = seconds(sendEnd - sendStart)
        // Conservative: the state file is written only once the burst has settled (100 ms quiet).
        let processed = seconds(settled - sendStart)
        print("  \(events.count) uevents into the release daemon (its coldplug: \(milliseconds(coldplug)) ms, VmHWM at READY \(readyPeak / 1024) MiB)")
        switch transport {
        case .umockdev:
            print("  sent in \(milliseconds(sendSeconds)) ms: \(Int(Double(events.count) / sendSeconds)) events/s (blocking sends: the daemon's read rate)")
        case .netlink:
            print("  sent in \(milliseconds(sendSeconds)) ms (the sender never waits); state file settled \(milliseconds(processed)) ms after the first: at least \(Int(Double(events.count) / processed)) events/s")
        }
        print("  received \(received), lost \(events.count - received), rescans \(rescans) (target: zero lost)")
        if let finalSeq {
            let latency = lastGrowth.map { "\(milliseconds($0 - sendEnd)) ms after the last event was sent" }
                ?? "before the last send returned"
            print("  \(decisions.count) decisions; the final one (seq \(finalSeq), last event \(lastSeqnum)) \(latency) (target ≤ 1 s)")
        } else {
            print("  no decisions (none expected for this burst)")
        }
        print("  state file settled \(milliseconds(settled - sendEnd)) ms after the last event (includes the 100 ms settle delay)")
        if recording {
            let size = (try? FileManager.default.attributesOfItem(atPath: tracePath)[.size] as? Int) ?? 0
            print("  aphotplug record peak RSS (VmHWM): \(String(format: "%.1f", Double(peak) / 1024)) MiB (target ≤ 40 MiB); "
                  + "trace \(size >> 20) MiB")
        } else {
            print("  daemon peak RSS (VmHWM): \(String(format: "%.1f", Double(peak) / 1024)) MiB (target < 40 MiB)")
        }
        print("  load average after: \(Machine.loadAverage)")
    }

    /// 16 mdevs of 16 adapters × 256 domains each, every guest attached, on a kernel with
    /// `guest_matrix` (so an unbind unplugs an adapter from a running guest).
    static var busyHost: HostSnapshot {
        let mdevs = EngineWorkload.busyMdevs().map {
            HostSnapshot.Mdev(uuid: $0.uuid, assigned: $0.assigned, guestMatrix: $0.assigned, inUse: true)
        }
        return EngineWorkload.host(driver: "vfio_ap", mdevs: mdevs)
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// `uevents` and `rescans` of the state file, nil until it exists (or while it is none).
    static func stateCounters(_ path: String) -> (uevents: Int, rescans: Int)? {
        guard let data = FileManager.default.contents(atPath: path),
              let counters = (try? StateFile.decode(Array(data)))?.counters else { return nil }
        return (counters.uevents, counters.rescans)
    }

    /// The `seq` member of one decision's JSON line; nil for an empty or foreign line.
    static func seq(ofDecisionLine line: String) -> Int? {
        guard case .object(let members)? = try? JSONReader.parse(Array(line.utf8)),
              case .number(let text)? = members.first(where: { $0.key == "seq" })?.value else { return nil }
        return Int(text)
    }
}
