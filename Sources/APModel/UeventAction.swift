/// The uevent actions the kernel's driver core sends (`kobject_action`,
/// `ACTION=`): what the engine reads and the simulator emits.
public enum UeventAction: String, Hashable, Sendable, CaseIterable {
    case add, remove, change, move, online, offline, bind, unbind

    /// The action named `text` (`ACTION=`), nil for any other: as `init(rawValue:)`,
    /// decided on the length and the first bytes instead of comparing with every
    /// case in turn (every uevent goes through it).
    @inlinable
    public init?(text: String) {
        let candidate: UeventAction
        switch text.utf8.count {
        case 3: candidate = .add
        case 4: candidate = text.utf8.first == UInt8(ascii: "m") ? .move : .bind
        case 6:
            switch text.utf8.first {
            case UInt8(ascii: "r"): candidate = .remove
            case UInt8(ascii: "c"): candidate = .change
            case UInt8(ascii: "o"): candidate = .online
            default: candidate = .unbind
            }
        case 7: candidate = .offline
        default: return nil
        }
        // Short ASCII strings compare as a whole, without a loop over the bytes.
        guard text == candidate.rawValue else { return nil }
        self = candidate
    }
}
