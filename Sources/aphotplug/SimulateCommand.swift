import APModel
import ArgumentParser
import Foundation
import Glibc
import Simulator
import Trace

/// `aphotplug simulate`: runs a scenario script against a simulated s390 host
/// and writes the uevent trace it produces and the sysfs tree it ends with.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a scenario on a simulated s390 AP host; write its uevent trace and sysfs tree.",
        discussion: """
            Models the kernel side of AP passthrough (AP bus, zcrypt, vfio_ap, mdev
            core) of a current kernel (~6.16) on any Linux machine. SCRIPT has one
            operation per line, '#' starts a comment, '-' reads standard input.

            Hardware (host changes after boot make the AP bus scan at once; card
            changes are seen at the next scan):
              host [adapters L] [domains L] [control L]
                   [max-adapter-id N] [max-domain-id N]
                     L: 0-3,5,0xab | none | relative edits: +5 or -0x47
              card AA TYPE MODE      TYPE cex4..cex8, MODE accel|cca|ep11
                                     (every adapter defaults to cex8 cca)
              card AA checkstop on|off
              boot                   the first AP bus scan; without a boot
                                     line the host boots before the first
                                     line that is not 'host' or 'card'
              scan                   a timer or forced AP bus scan
            Modules:
              modprobe vfio_ap | rmmod vfio_ap
              modprobe zcrypt_cex4 | rmmod zcrypt_cex4   (loaded at start)
            sysfs writes (values go to the kernel verbatim; device names are hex):
              apmask VALUE | aqmask VALUE    e.g. 0x0f, -5, +0x10-0x1f,-3
              bind DEVICE DRIVER             DEVICE AA.DDDD or cardAA,
                                             DRIVER vfio_ap|cex4queue|cex4card
              unbind DEVICE [DRIVER]         default: the driver it has
              config cardAA 0|1
              mdev create UUID | mdev UUID remove
              mdev UUID assign-adapter N     also unassign-adapter,
                                             assign-domain, unassign-domain,
                                             assign-control-domain,
                                             unassign-control-domain
              mdev UUID ap-config APM,AQM,ADM
            Guests and faults:
              guest attach UUID NAME | guest detach UUID
              reset-fail AA.DDDD [RC]        the queue's last reset ended
                                             with response code RC (0x01)
              tapq AA.DDDD fail|ok           TAPQ stops (resumes) answering
                                             for the APQN: the next scan
                                             removes (re-creates) its queue
            Structure:
              start               ends the setup: the trace begins here
              expect-error ERRNO  the line before must fail with ERRNO
                                  (EBUSY, EINVAL, ENODEV, EADDRINUSE,
                                  EADDRNOTAVAIL, EEXIST, EPERM, ENOENT, ...)

            Example:
              host adapters 4-6 domains 4,0xab control 4
              modprobe vfio_ap
              apmask -5,-6
              mdev create 0b5e0000-0000-4000-8000-000000000001
              mdev 0b5e0000-0000-4000-8000-000000000001 assign-adapter 5
              mdev 0b5e0000-0000-4000-8000-000000000001 assign-domain 0xab
              guest attach 0b5e0000-0000-4000-8000-000000000001 vm1
              start
              unbind 05.00ab
              apmask +5
              expect-error EBUSY

            Output: `udevadm monitor --kernel --property` text (fake clock,
            SEQNUM counted from boot). --jsonl adds aphotplug's JSON Lines: a
            snapshot of the tree at 'start', uevents, guest attach/detach, and
            observe records for the host masks and every mdev's matrix,
            guest_matrix and control_domains whenever they change.
            --benchmark-flip replaces SCRIPT with the full-scale benchmark input:
            256 x 256 queues, vfio_ap loaded, mdevs with guests, then
            `echo 0x > apmask` (131,072 unbind/bind events, then APMASK).
            Full-scale trees are best built on tmpfs (/dev/shm).

            Exit status: 0 success; 64 bad usage; 65 the script has an error or
            did not run as written (file:line: what was expected); 66 the script
            cannot be read; 73 an output cannot be written.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Build the simulated tree here (a directory that plays /sys; must be empty or missing).", valueName: "dir"))
    var sysfsRoot: String?

    @Option(name: .long, help: ArgumentHelp("Also write the tree as it was at 'start' here.", valueName: "dir"))
    var initialTree: String?

    @Option(name: .long, help: ArgumentHelp("Write the udevadm trace here instead of standard output.", valueName: "file"))
    var output: String?

    @Option(name: .long, help: ArgumentHelp("Also write the JSON Lines trace here.", valueName: "file"))
    var jsonl: String?

    @Flag(name: .long, help: "Generate the full-scale benchmark input instead of running SCRIPT.")
    var benchmarkFlip = false

    @Option(name: .long, help: "Adapters for --benchmark-flip (1...256).")
    var adapters = 256

    @Option(name: .long, help: "Domains for --benchmark-flip (1...256).")
    var domains = 256

    @Option(name: .long, help: "mdevs for --benchmark-flip.")
    var mdevs = 4

    @Argument(help: ArgumentHelp("The scenario script; - for standard input.", valueName: "script"))
    var script: String?

    func validate() throws {
        if benchmarkFlip {
            guard script == nil else { throw ValidationError("--benchmark-flip takes no script") }
            guard (1...256).contains(adapters), (1...256).contains(domains), (0...adapters).contains(mdevs) else {
                throw ValidationError("--adapters and --domains must be 1...256, --mdevs at most --adapters")
            }
        } else if script == nil {
            throw ValidationError("give a scenario script (or --benchmark-flip)")
        }
        for directory in [sysfsRoot, initialTree].compactMap({ $0 }) {
            // Never write into a populated directory (such as the real /sys).
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            guard entries.isEmpty else {
                throw ValidationError("\(directory) is not empty; the simulator only builds trees in empty or new directories")
            }
        }
    }

    func run() throws {
        let initial: SimulatedKernel
        let final: SimulatedKernel
        let records: [SimulationRecord]
        let touched: TouchedDevices
        if benchmarkFlip {
            let flip = FullScaleFlip(adapters: adapters, domains: domains, mdevs: mdevs)
            (initial, final, records, touched) = (flip.initial, flip.final, flip.records, flip.touched)
        } else {
            let run = try runScript()
            (initial, final, records, touched) = (run.initial, run.final.kernel, run.records, run.touched)
        }
        do {
            if let initialTree { _ = try SimulatedSysfsTree(root: initialTree, kernel: initial) }
            if let sysfsRoot {
                var tree = try SimulatedSysfsTree(root: sysfsRoot, kernel: initial)
                try tree.update(from: final, touched: touched)
            }
        } catch {
            throw CommandExit.failure(.cannotCreate, error.description)
        }
        try write(UdevadmMonitorText.render(records), to: output)
        if let jsonl {
            var lines = JSONLinesWriter.line(.snapshot(initial.sysfsImage))
            lines += JSONLinesWriter.write(records.map(Self.traceRecord))
            try write(lines, to: jsonl)
        }
    }

    private func runScript() throws -> ScenarioRun {
        let path = script ?? "-"
        let bytes: Data
        if path == "-" {
            bytes = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandExit.failure(.noInput, "\(path): cannot read the script (missing or unreadable)")
            }
            bytes = data
        }
        do {
            return try Scenario(parsing: String(decoding: bytes, as: UTF8.self)).run()
        } catch {
            throw CommandExit.failure(.dataError, "\(path == "-" ? "<stdin>" : path):\(error.line): \(error.message)\n    \(error.text)")
        }
    }

    private func write(_ text: String, to path: String?) throws {
        guard let path else {
            try ResultOutput.writeNow(text)
            return
        }
        if let failure = OutputFile.write(Array(text.utf8), to: path) {
            throw CommandExit.failure(.cannotCreate, "\(path): cannot write: \(String(cString: strerror(failure)))")
        }
    }

    /// The JSON Lines record for a simulation record.
    static func traceRecord(_ record: SimulationRecord) -> TraceRecord {
        switch record {
        case .uevent(let event, _):
            return .uevent(event)
        case .guest(let action, let mdev, let name):
            switch action {
            case .attach: return .guest(GuestRecord(action: .attach, mdev: mdev, name: name))
            case .detach: return .guest(GuestRecord(action: .detach, mdev: mdev, name: name))
            }
        case .observe(let path, let value):
            return .observe(path: path, value: value)
        case .settled:
            return .settled
        }
    }
}
