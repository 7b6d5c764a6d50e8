import APModel
import HotplugEngine

/// Benchmarks of aphotplug (design.md "Performance targets"). Each benchmark
/// runs several times and reports the median; build with `-c release`.
///
///     swift run -c release aphotplug-bench [engine|all] [--runs N]
let arguments = CommandLine.arguments.dropFirst()
let runs = arguments.firstIndex(of: "--runs").flatMap { Int(arguments[arguments.index(after: $0)]) } ?? 7
let selection = Set(arguments.filter { !$0.hasPrefix("-") && Int($0) == nil })
func selected(_ name: String) -> Bool { selection.isEmpty || selection.contains("all") || selection.contains(name) }

/// Runs `body` `runs` times and returns the median duration in seconds.
func median(_ body: () -> Void) -> Double {
    var samples: [Double] = []
    for _ in 0..<runs {
        let clock = ContinuousClock()
        let elapsed = clock.measure(body)
        samples.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
    samples.sort()
    return samples[samples.count / 2]
}

func report(_ name: String, events: Int, seconds: Double, target: String) {
    let rate = Double(events) / seconds
    print("\(name): \(events) events, median \(String(Int(seconds * 1e6))) µs, \(Int(rate)) events/s (target \(target))")
}

if selected("engine") {
    // design.md: apmask flip of all 65,536 queues = 131,072 unbind+bind events, ≥ 1,000,000 events/s.
    let flipHost = EngineWorkload.host(driver: "cex4queue")
    let flip = EngineWorkload.rebindBurst(to: "vfio_ap", maskEvent: ("APMASK", APMask().sysfsHex + "\n"))
    var base = Engine()
    _ = base.handle(.snapshot(flipHost, guests: [:], position: 0))
    let seconds = median {
        var engine = base
        var decisions = 0
        for (index, event) in flip.enumerated() { decisions += engine.handle(.uevent(event, position: UInt64(index))).count }
        precondition(decisions == 0, "an apmask flip with no assigned APQNs decides nothing")
    }
    report("engine apmask flip 256x256", events: flip.count, seconds: seconds, target: "≥ 1,000,000 events/s")

    // The same burst through 16 attached guests: every adapter unplugged and re-plugged.
    let busyHost = EngineWorkload.host(driver: "vfio_ap", mdevs: EngineWorkload.busyMdevs())
    let cycle = EngineWorkload.rebindBurst(to: "vfio_ap", maskEvent: nil)
    var busyBase = Engine()
    _ = busyBase.handle(.snapshot(busyHost, guests: [:], position: 0))
    var produced = 0
    let busySeconds = median {
        var engine = busyBase
        produced = 0
        for (index, event) in cycle.enumerated() { produced += engine.handle(.uevent(event, position: UInt64(index))).count }
    }
    report("engine unbind+rebind of every queue, 16 busy guests (\(produced) decisions)", events: cycle.count,
           seconds: busySeconds, target: "≥ 1,000,000 events/s")
}
