import Agent
import Glibc
import HotplugEngine

/// Routes decisions to the chosen log target. When journald cannot be reached, the
/// decisions go to standard output as JSON lines instead (said once on standard error).
final class DecisionSink {
    private let lines: DecisionReporter
    private var journal: JournalReporter?

    init(target: DaemonOptions.LogTargetOption, journalSocket: String) {
        switch target {
        case .json, .journal: lines = DecisionReporter(target: .json)
        case .text: lines = DecisionReporter(target: .text)
        }
        journal = target == .journal ? JournalReporter(socketPath: journalSocket) : nil
    }

    func report(_ decisions: [Decision]) {
        if let journal {
            guard let error = journal.report(decisions) else { return }
            StandardStream.log("journal \(journal.socketPath): \(String(cString: strerror(error))); reporting JSON lines on standard output instead")
            self.journal = nil
        }
        lines.report(decisions)
    }
}
