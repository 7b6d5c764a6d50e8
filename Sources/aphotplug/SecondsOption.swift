import ArgumentParser

/// A command-line number of seconds, checked into a range before it becomes a
/// `Duration`: `Int64(seconds * 1000)` traps for NaN, infinities and anything
/// beyond about 9.2e15 s, so no unchecked option value may reach it.
enum SecondsOption {
    /// One day: more than any lock wait or poll interval that makes sense, far below Int64 milliseconds.
    static let maximum: Double = 86_400

    /// `seconds` as a `Duration` of whole milliseconds, or a usage error naming `option`
    /// unless `minimum ≤ seconds ≤ maximum`.
    static func duration(_ seconds: Double, option: String, minimum: Double) throws -> Duration {
        guard seconds.isFinite, seconds >= minimum, seconds <= maximum else {
            throw ValidationError("\(option) must be a number of seconds from \(minimum) to \(Int(maximum))")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
