import APModel
import Synchronization
import Udev

/// Iterates a ``UdevMonitorSequence`` in a background task and keeps what it receives,
/// so a test can trigger events and wait for them with a deadline.
final class MonitorRecorder: Sendable {
    private let box = Box()
    private let task: Task<Void, Never>

    private final class Box: Sendable {
        let events = Mutex<[UdevMonitorEvent]>([])
        let ended = Atomic<Bool>(false)
    }

    init(_ sequence: UdevMonitorSequence) {
        let box = self.box
        task = Task {
            for await event in sequence {
                box.events.withLock { $0.append(event) }
            }
            box.ended.store(true, ordering: .releasing)
        }
    }

    /// Everything received so far.
    var events: [UdevMonitorEvent] { box.events.withLock { $0 } }

    /// Whether the sequence returned nil.
    var ended: Bool { box.ended.load(ordering: .acquiring) }

    /// Waits until `predicate` holds for the received events or `timeout` passes;
    /// returns the events either way.
    @discardableResult
    func wait(
        timeout: Duration = .seconds(5), until predicate: ([UdevMonitorEvent]) -> Bool
    ) async -> [UdevMonitorEvent] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let current = events
            if predicate(current) { return current }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return events
    }

    /// Cancels the iterating task and waits for it to end.
    func stop() async {
        task.cancel()
        await task.value
    }
}

extension UdevMonitorEvent {
    /// The uevent, or nil for overflow and receive errors.
    var uevent: Uevent? {
        switch self {
        case .uevent(let event): return event
        case .overflow, .receiveFailed: return nil
        }
    }
}
