import APTestSupport

/// A running aphotplug process that prints decisions as JSON lines on standard output.
protocol DecisionPrinter {
    var process: ChildProcess { get }
}

extension DecisionPrinter {
    /// Decision lines (JSON objects with a `kind`) printed so far.
    var decisions: [[String: Any]] {
        process.outputLines.compactMap { try? MonitorHarness.object($0) }.filter { $0["kind"] != nil }
    }

    /// Waits for a decision of `kind` (optionally satisfying `predicate`) and returns it.
    @discardableResult
    func waitForDecision(
        _ kind: String, timeout: Duration = .seconds(20), where predicate: @escaping ([String: Any]) -> Bool = { _ in true }
    ) async throws -> [String: Any] {
        let line = try await process.waitForLine(timeout: timeout, "a \(kind) decision") { line in
            guard let object = try? MonitorHarness.object(line) else { return false }
            return object["kind"] as? String == kind && predicate(object)
        }
        return try MonitorHarness.object(line)
    }
}
