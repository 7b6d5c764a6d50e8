/// Failures of the end-to-end harness itself (not of the program under test).
public enum HarnessError: Error, CustomStringConvertible {
    /// umockdev's preload library is missing (and the run is in CI).
    case preloadMissing(String)
    /// The built executable was not found next to the test bundle.
    case executableMissing(name: String, searched: [String])
    /// A system call of the harness failed.
    case systemCall(String, errno: Int32)
    /// Nothing listens in the testbed: no `event<N>` socket appeared.
    case noListener(testbed: String)
    /// A blocking send to a listener waited longer than its send timeout: the program
    /// stopped reading.
    case sendTimedOut(socket: String)
    /// A wait for output or exit ran out of time.
    case timedOut(String)

    public var description: String {
        switch self {
        case .preloadMissing(let reason): return "umockdev is required in CI: \(reason)"
        case .executableMissing(let name, let searched):
            return "built executable \(name) not found in \(searched.joined(separator: ", ")); build with swift build --build-tests"
        case .systemCall(let call, let errno): return "\(call) failed with errno \(errno)"
        case .noListener(let testbed): return "no event<N> socket in \(testbed): the program did not arm a monitor"
        case .sendTimedOut(let socket): return "sending to \(socket) timed out: the program stopped reading events"
        case .timedOut(let what): return "timed out waiting for \(what)"
        }
    }
}
