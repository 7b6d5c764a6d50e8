import APModel
import Agent
import ArgumentParser
import Foundation
import HotplugEngine
import Simulator
import Sysfs
import Trace

/// `aphotplug demo`: plays a narrated hot plug story on a simulated s390 host
/// and shows what the agent decides, on any Linux machine.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch aphotplug on a simulated s390 host: queues come and go, guests get plugged and unplugged.",
        discussion: """
            Builds a simulated host in a temporary directory laid out like /sys (4 CEX8 cards, \
            4 usage domains, 2 vfio_ap mdevs, guest vm1 running on one of them) and runs the \
            agent's pipeline on it in-process: the simulator emits the kernel's uevents and the \
            sysfs values that change without uevents, the engine decides. The story: an adapter \
            is freed from the host and plugged into the guest; a queue is unbound (the adapter \
            is unplugged) and bound again (plugged back); a card is deconfigured (nothing \
            changes); an adapter leaves the host configuration (unplugged); guests start and \
            stop (live-migration blockers raised and cleared).

            The timeline is coloured on a terminal (NO_COLOR turns that off), plain when piped. \
            The temporary directory is removed at the end.
            """
    )

    @Flag(name: .long, help: "Print only the decisions, one JSON object per line.")
    var json = false

    func run() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let style = TimelineStyle(colour: !json && Self.wantsColour())
        var printer = ResultOutput()
        let result: DemoRun
        do {
            result = try DemoRun.play(root: root) { entry in
                switch entry {
                case .decision(let decision) where json:
                    try printer.line(decision.jsonLine)
                case _ where json:
                    break
                default:
                    try printer.line(style.render(entry))
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CommandExit.failure(.software, "demo: \(error)")
        }
        if !json {
            try printer.line("")
            for line in style.table(result.finalState) { try printer.line(line) }
        }
        try printer.flush()
    }

    private static func wantsColour() -> Bool {
        if let value = ProcessInfo.processInfo.environment["NO_COLOR"], !value.isEmpty { return false }
        return isatty(STDOUT_FILENO) == 1
    }

    /// A fresh directory on tmpfs when there is one. Never inside the package: a sysfs
    /// tree is full of symlink loops.
    private static func makeTemporaryDirectory() throws -> String {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array((base + "/aphotplug-demo.XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw CommandExit.failure(.cannotCreate, "demo: cannot create a temporary directory under \(base)")
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One line of the demo's timeline.
enum TimelineEntry {
    case narration(Int, String)
    case uevent(Uevent)
    case observation(path: String, value: String)
    case guest(GuestRecord.Action, mdev: MdevUUID, name: String)
    case decision(Decision)
    case refused(String)
    /// What `aphotplug what-if` predicted for the act, before it happened.
    case prediction(command: String, lines: [String])
    /// The act caused no decision.
    case noDecision
}

/// The pipeline of the demo: simulator → tree and records → engine → decisions.
struct DemoRun {
    /// The engine's picture at the end of the story.
    var finalState: FinalState

    /// Plays ``DemoScenario`` on a tree built under `root`; the engine starts from the
    /// snapshot the real reader takes of that tree.
    static func play(root: String, _ emit: (TimelineEntry) throws -> Void) throws -> DemoRun {
        var simulation = try DemoScenario.prepared()
        var tree = try SimulatedSysfsTree(root: root, kernel: simulation.kernel)
        let snapshot = try SnapshotReader(tree: DirectorySysfsTree(root: root)).read()
        var guests: [MdevUUID: String] = [:]
        for mdev in simulation.kernel.mdevs {
            if let name = mdev.guest { guests[mdev.uuid] = name }
        }
        try emit(.narration(0, "Coldplug: the agent reads the simulated host in \(root) "
                        + "(4 CEX8 cards, domains 0004-0007, mdevs A and B, guest vm1 running on A)"))
        var session = ReplaySession()
        for decision in session.start(snapshot: snapshot, guests: guests) { try emit(.decision(decision)) }
        for (number, act) in DemoScenario.acts.enumerated() {
            try emit(.narration(number + 1, act.narration))
            if act.predictedFirst {
                // Asked on the tree as it is now, exactly as an administrator would ask before the change.
                let now = try SnapshotReader(tree: DirectorySysfsTree(root: root)).read()
                let steps = act.operations.map { Scenario.Step(line: 1, text: $0.scriptLine, operation: $0) }
                let prediction = try WhatIfRun.predict(snapshot: now, guests: guests, steps: steps)
                let command = "aphotplug what-if --sysfs-root \(root) " + steps.map { "'\($0.text)'" }.joined(separator: " ")
                try emit(.prediction(command: command, lines: WhatIfReport.text(prediction)))
            }
            var decided = false
            for operation in act.operations {
                let step: Simulation.Step
                do {
                    step = try simulation.perform(operation)
                } catch {
                    try emit(.refused("the kernel refused it: \(error)"))
                    continue
                }
                try tree.update(from: simulation.kernel, touched: step.touched)
                for record in step.records {
                    switch record {
                    case .uevent(let event, _): try emit(.uevent(event))
                    case .guest(let action, let mdev, let name): try emit(.guest(action, mdev: mdev, name: name))
                    case .observe(let path, let value): try emit(.observation(path: path, value: value))
                    case .settled: break
                    }
                    for decision in try session.replay(SimulateCommand.traceRecord(record)) {
                        try emit(.decision(decision))
                        decided = true
                    }
                }
            }
            if !decided { try emit(.noDecision) }
        }
        return DemoRun(finalState: session.engine.finalState)
    }
}

/// How the timeline looks: ANSI colours on a terminal, plain text otherwise.
struct TimelineStyle {
    var colour: Bool

    private func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func render(_ entry: TimelineEntry) -> String {
        switch entry {
        case .narration(let number, let text):
            return "\n" + paint("[\(number)] \(text)", "1")
        case .uevent(let event):
            return "    " + paint("uevent   ", "36") + Self.short(event)
        case .observation(let path, let value):
            let flat = value.split(whereSeparator: \.isNewline).joined(separator: " ")
            return "    " + paint("sysfs    ", "2") + paint("\(Self.shortPath(path)) = \(flat.isEmpty ? "(empty)" : flat)", "2")
        case .guest(let action, let mdev, let name):
            let verb = action == .attach ? "opens" : "closes"
            return "    " + paint("guest    ", "35") + "\(name) \(verb) mdev \(Self.shortUUID(mdev.description))"
        case .noDecision:
            return "  " + paint("→ no decision", "2")
        case .refused(let text):
            return "    " + paint("refused  ", "31") + text
        case .prediction(let command, let lines):
            return (["    " + paint("what-if  ", "1;35") + command] + lines.map { "    " + paint("         " + $0, "35") })
                .joined(separator: "\n")
        case .decision(let decision):
            return "  " + paint("→ " + decision.kind.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0), Self.colour(of: decision.kind))
                + Self.describe(decision)
        }
    }

    private static func colour(of kind: Decision.Kind) -> String {
        switch kind {
        case .plug, .blockerCleared: return "1;32"
        case .unplugAdapter, .unplugDomain, .blockerRaised: return "1;33"
        case .divergence, .anomaly, .conflict: return "1;31"
        case .withhold, .assign, .blockerUpdated, .resync: return "1;34"
        }
    }

    private static func describe(_ decision: Decision) -> String {
        var parts: [String] = []
        if let guest = decision.guest { parts.append(guest) }
        if let mdev = decision.mdev { parts.append("mdev " + shortUUID(mdev.description)) }
        if !decision.adapters.isEmpty { parts.append("adapters " + decision.adapters.map(\.description).joined(separator: ",")) }
        if !decision.domains.isEmpty { parts.append("domains " + decision.domains.map(\.description).joined(separator: ",")) }
        var cause = decision.cause
        if [.blockerRaised, .blockerUpdated, .blockerCleared].contains(decision.kind),
           let end = cause.range(of: ": ") ?? cause.range(of: "; ") {
            // The advice after the colon is the same every time; the JSON output keeps it.
            cause = String(cause[..<end.lowerBound])
        }
        return parts.joined(separator: "  ") + (cause.isEmpty ? "" : "  (\(cause))")
    }

    static func shortUUID(_ uuid: String) -> String { String(uuid.prefix(8)) + "…" + String(uuid.suffix(4)) }

    static func shortPath(_ path: String) -> String {
        var path = path
        if path.hasPrefix("/sys/devices/vfio_ap/matrix/") {
            let rest = path.dropFirst("/sys/devices/vfio_ap/matrix/".count)
            let parts = rest.split(separator: "/", maxSplits: 1)
            if parts.count == 2 { return "mdev \(shortUUID(String(parts[0])))/\(parts[1])" }
        }
        if path.hasPrefix("/sys/") { path.removeFirst(5) }
        return path
    }

    /// `ACTION device KEY=VALUE…` without the keys every event has.
    static func short(_ event: Uevent) -> String {
        let devpath = event.devpath ?? "?"
        var device = String(devpath.split(separator: "/").last ?? "?")
        if devpath.hasPrefix("/devices/vfio_ap/matrix/") && device.count == 36 { device = "mdev " + shortUUID(device) }
        if devpath == "/devices/ap" { device = "ap bus" }
        let skipped: Set<String> = ["ACTION", "DEVPATH", "SEQNUM", "SUBSYSTEM", "MODALIAS", "DEVTYPE", "MDEV_TYPE", "MDEV_TYPE_ID"]
        let keys = event.properties.filter { !skipped.contains($0.key) }.map { "\($0.key)=\($0.value)" }
        let seq = event.seqnum.map { "#\($0) " } ?? ""
        return ([seq + (event.action ?? "?").padding(toLength: 6, withPad: " ", startingAt: 0), device] + keys).joined(separator: " ")
    }

    /// The final picture: the table `aphotplug status` prints (``StateTable``), under a heading.
    func table(_ state: FinalState) -> [String] {
        [paint("Final state (engine's view):", "1")] + StateTable.lines(state.mdevs) { paint($0, "4") }
    }
}
