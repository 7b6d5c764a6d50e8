/// The median of `samples` (the upper one of the middle two for an even count).
func median(of samples: [Double]) -> Double {
    precondition(!samples.isEmpty, "A median needs at least one sample.")
    let sorted = samples.sorted()
    return sorted[sorted.count / 2]
}

/// `duration` in seconds.
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// `seconds` in whole milliseconds, rounded.
func milliseconds(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }

/// `duration` in whole milliseconds, rounded.
func milliseconds(_ duration: Duration) -> Int { milliseconds(seconds(duration)) }

/// Runs `body` `runs` times; the median duration in seconds.
func median(runs: Int, _ body: () -> Void) -> Double {
    median(of: (0..<runs).map { _ in seconds(ContinuousClock().measure(body)) })
}
