import APModel
import HotplugEngine
import Simulator

extension SimulationRecord {
    /// The engine event this record becomes, as the daemon would feed it.
    func engineEvent(position: UInt64) -> EngineEvent {
        switch self {
        case .uevent(let event, _):
            return .uevent(event, position: position)
        case .guest(.attach, let mdev, let name):
            return .guestAttached(mdev, name: name, position: position)
        case .guest(.detach, let mdev, let name):
            return .guestDetached(mdev, name: name, position: position)
        case .observe(let path, let value):
            return .observed(path: path, value: value, position: position)
        case .settled:
            return .settled(position: position)
        }
    }
}
