import APModel
import Agent
import HotplugEngine

/// What the consumer task receives, in arrival order.
enum DaemonInput: Sendable {
    /// Uevents in the order received: what the monitor had ready at once, up to
    /// ``batchLimit`` (one hand-over, and one wake-up of the consumer, per batch).
    case uevents([Uevent])
    /// Events were lost (why, for the log): rescan.
    case eventsLost(String)
    /// Everything queued during the coldplug scan has been read.
    case backlogDrained
    case tick
    case control(ControlSocket.Datagram)
    case signal(Int32)
    /// The realizer carried out (or failed to carry out) an assign decision.
    case realized(Decision, MatrixRealizer.Outcome)
}
