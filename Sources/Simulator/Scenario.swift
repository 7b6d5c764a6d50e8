import APModel

/// A scenario script: one operation per line, read top to bottom.
///
/// ```
/// # comments start with '#', blank lines are ignored
/// host adapters 0-3 domains 4,5,0xab control 4,5,0xab
/// card 02 cex7 ep11
/// modprobe vfio_ap
/// mdev create 0b5e1f2a-0000-4000-8000-000000000001
/// apmask -2-3
/// mdev 0b5e1f2a-0000-4000-8000-000000000001 assign-adapter 2
/// mdev 0b5e1f2a-0000-4000-8000-000000000001 assign-domain 0xab
/// guest attach 0b5e1f2a-0000-4000-8000-000000000001 vm1
/// start
/// unbind 02.00ab
/// bind 02.00ab vfio_ap
/// apmask +2
/// expect-error EBUSY
/// ```
///
/// **Numbers.** Device names are hex as in sysfs (`card0a`, `0a.0047`,
/// `card 0a …`); everything written to an attribute is passed verbatim, so
/// the kernel's syntax applies (`assign-domain 0x47`, `assign-domain 71`,
/// `assign-domain 0107` are the same domain; `apmask -5,+0x10`). Host lists
/// use C numbers and ranges (`0-3,0xab`), `none`, or apmask-style relative
/// edits (`+5`, `-0x47`).
///
/// **Hardware and firmware** (the AP bus sees them at its next scan; `host`
/// changes after boot trigger that scan at once, like the CHSC notification):
/// - `host [adapters LIST] [domains LIST] [control LIST] [max-adapter-id N] [max-domain-id N]`
///   (max ids only before boot; default 255 each)
/// - `card AA TYPE MODE` — TYPE `cex4`…`cex8`, MODE `accel`, `cca`, `ep11`
///   (default for every adapter: cex8 cca)
/// - `card AA checkstop on|off`
/// - `boot` — the first AP bus scan (INITSCAN). Without a `boot` line the
///   host boots right before the first line that is not `host` or `card`.
/// - `scan` — a timer or forced AP bus scan
///
/// **Modules:** `modprobe vfio_ap`, `rmmod vfio_ap`, `modprobe zcrypt_cex4`,
/// `rmmod zcrypt_cex4` (zcrypt_cex4 is loaded from the start).
///
/// **sysfs writes:**
/// - `apmask VALUE`, `aqmask VALUE` — `echo VALUE > /sys/bus/ap/apmask`
/// - `bind DEVICE DRIVER` — DEVICE `AA.DDDD` or `cardAA`, DRIVER `vfio_ap`,
///   `cex4queue` or `cex4card`
/// - `unbind DEVICE [DRIVER]` — without DRIVER, from the driver it has
/// - `config cardAA 0|1`
/// - `mdev create UUID`, `mdev UUID remove`
/// - `mdev UUID assign-adapter N` (also `unassign-adapter`, `assign-domain`,
///   `unassign-domain`, `assign-control-domain`, `unassign-control-domain`)
/// - `mdev UUID ap-config APM,AQM,ADM`
///
/// **Guests and faults:** `guest attach UUID NAME`, `guest detach UUID`,
/// `reset-fail AA.DDDD [RC]` (the queue's last reset ended with response
/// code RC, default 0x01), `tapq AA.DDDD fail|ok` (TAPQ stops or resumes
/// giving information for the APQN; the next scan removes or re-creates its
/// queue, and the card when none of its configured domains answers).
///
/// **Structure:** `start` ends the setup: the sysfs tree is taken as the
/// initial state there and the trace holds only what follows (without a
/// `start` line everything is traced). `expect-error ERRNO` says the line
/// before it must fail with that errno; any other failure stops the script.
public struct Scenario: Hashable, Sendable {
    /// One operation and where it came from.
    public struct Step: Hashable, Sendable {
        /// The script line (for an implicit boot: the line that caused it).
        public var line: Int
        /// The line's text, or `boot (implicit)`.
        public var text: String
        public var operation: Operation
        /// The errno an `expect-error` line demands of this step.
        public var expectedError: KernelErrno?
        /// The line of that `expect-error`.
        public var expectationLine: Int?

        public init(line: Int, text: String, operation: Operation, expectedError: KernelErrno? = nil, expectationLine: Int? = nil) {
            self.line = line
            self.text = text
            self.operation = operation
            self.expectedError = expectedError
            self.expectationLine = expectationLine
        }
    }

    /// The operations in order, an implicit `boot` included.
    public var steps: [Step]
    /// How many leading steps are setup (before `start`); 0 without `start`.
    public var setupCount: Int

    public init(steps: [Step], setupCount: Int) {
        self.steps = steps
        self.setupCount = setupCount
    }

    /// Reads a script. Throws for the first line that is not an operation.
    public init(parsing text: String) throws(ScenarioError) {
        var steps: [Step] = []
        var setupCount: Int?
        var sawBoot = false
        var booted = false
        var followsOperation = false
        var lineNumber = 0
        var lines: [(number: Int, text: String, words: [Substring])] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if words.isEmpty { continue }
            lines.append((lineNumber, words.joined(separator: " "), words))
            if words == ["boot"] { sawBoot = true }
        }
        for line in lines {
            let keepsPowerOff = ["host", "card", "expect-error"].contains(line.words[0])
            if !sawBoot && !booted && !keepsPowerOff {
                steps.append(Step(line: line.number, text: Self.implicitBoot, operation: .boot))
                booted = true
            }
            switch line.words[0] {
            case "start":
                guard line.words.count == 1 else { throw Self.error(line, "expected 'start' alone") }
                guard setupCount == nil else { throw Self.error(line, "a second 'start' line") }
                setupCount = steps.count
                followsOperation = false
            case "expect-error":
                guard line.words.count == 2, let errno = KernelErrno(rawValue: String(line.words[1])) else {
                    let names = KernelErrno.allCases.map(\.rawValue).joined(separator: ", ")
                    throw Self.error(line, "expected 'expect-error ERRNO' with one of \(names)")
                }
                guard followsOperation, let last = steps.indices.last else {
                    throw Self.error(line, "'expect-error' must come right after the operation it is about")
                }
                steps[last].expectedError = errno
                steps[last].expectationLine = line.number
                followsOperation = false
            default:
                let operation = try ScenarioLineParser.operation(line.words, line: line.number, text: line.text)
                if case .boot = operation { booted = true }
                steps.append(Step(line: line.number, text: line.text, operation: operation))
                followsOperation = true
            }
        }
        if !sawBoot && !booted {
            steps.append(Step(line: lineNumber + 1, text: Self.implicitBoot, operation: .boot))
        }
        self.init(steps: steps, setupCount: setupCount ?? 0)
    }

    static let implicitBoot = "boot (implicit)"

    static func error(_ line: (number: Int, text: String, words: [Substring]), _ message: String) -> ScenarioError {
        ScenarioError(line: line.number, text: line.text, message: message)
    }
}
