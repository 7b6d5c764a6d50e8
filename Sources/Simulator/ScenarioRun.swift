import APModel

/// The outcome of running a ``Scenario``.
public struct ScenarioRun: Sendable {
    /// The kernel at `start` (at power-on when the script has no `start`):
    /// the initial state the trace begins from.
    public var initial: SimulatedKernel
    /// The simulation after the last line.
    public var final: Simulation
    /// What happened after `start`, in order.
    public var records: [SimulationRecord]
    /// Everything the traced part touched: updates a tree written from
    /// ``initial`` to the final state.
    public var touched: TouchedDevices
}

extension Scenario {
    /// Runs every step on `kernel` (power-on state by default).
    ///
    /// A failing step must have an `expect-error` with its errno; a step
    /// with an `expect-error` must fail with that errno. Otherwise the run
    /// stops with an error naming the line, the kernel's answer and its log.
    public func run(from kernel: SimulatedKernel = SimulatedKernel()) throws(ScenarioError) -> ScenarioRun {
        var simulation = Simulation(kernel: kernel)
        var initial = kernel
        var records: [SimulationRecord] = []
        var touched = TouchedDevices()
        for (index, step) in steps.enumerated() {
            if index == setupCount && index > 0 { initial = simulation.kernel }
            let result: Simulation.Step
            do {
                result = try simulation.perform(step.operation)
            } catch {
                try Self.judge(error, of: step, log: simulation.kernelLog)
                continue
            }
            if let expected = step.expectedError {
                throw ScenarioError(
                    line: step.expectationLine ?? step.line, text: "expect-error \(expected.rawValue)",
                    message: "expected line \(step.line) ('\(step.text)') to fail with \(expected.rawValue), but it succeeded"
                )
            }
            guard index >= setupCount else { continue }
            records.append(contentsOf: result.records)
            touched.formUnion(result.touched)
        }
        if setupCount == steps.count && setupCount > 0 { initial = simulation.kernel }
        return ScenarioRun(initial: initial, final: simulation, records: records, touched: touched)
    }

    private static func judge(_ failure: OperationFailure, of step: Step, log: [String]) throws(ScenarioError) {
        let detail = log.isEmpty ? "" : "\n    kernel: " + log.joined(separator: "\n    kernel: ")
        switch failure {
        case .kernel(let errno) where errno == step.expectedError:
            return
        case .kernel(let errno):
            if let expected = step.expectedError {
                throw ScenarioError(
                    line: step.line, text: step.text,
                    message: "expected \(expected.rawValue) (line \(step.expectationLine ?? step.line)), got \(failure)\(detail)"
                )
            }
            throw ScenarioError(
                line: step.line, text: step.text,
                message: "failed with \(errno.rawValue) (\(errno.description)); add 'expect-error \(errno.rawValue)' "
                    + "after it if that is intended\(detail)"
            )
        case .invalidRequest(let reason):
            throw ScenarioError(line: step.line, text: step.text, message: reason)
        }
    }
}
