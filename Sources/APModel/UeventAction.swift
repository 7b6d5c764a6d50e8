/// The uevent actions the kernel's driver core sends (`kobject_action`,
/// `ACTION=`): what the engine reads and the simulator emits.
public enum UeventAction: String, Hashable, Sendable, CaseIterable {
    case add, remove, change, move, online, offline, bind, unbind

    /// The action named `text` (`ACTION=`), nil for any other: as `init(rawValue:)`,
    /// decided on the length and the first bytes instead of comparing with every
    /// case in turn (every uevent goes through it).
    @inlinable
    public init?(text: String) {
        var text = text
        let action: UeventAction? = text.withUTF8 { bytes in
            guard let first = bytes.first else { return nil }
            let candidate: UeventAction?
            switch (first, bytes.count) {
            case (UInt8(ascii: "a"), 3): candidate = .add
            case (UInt8(ascii: "r"), 6): candidate = .remove
            case (UInt8(ascii: "c"), 6): candidate = .change
            case (UInt8(ascii: "m"), 4): candidate = .move
            case (UInt8(ascii: "o"), 6): candidate = .online
            case (UInt8(ascii: "o"), 7): candidate = .offline
            case (UInt8(ascii: "b"), 4): candidate = .bind
            case (UInt8(ascii: "u"), 6): candidate = .unbind
            default: candidate = nil
            }
            guard let candidate, bytes.elementsEqual(candidate.rawValue.utf8) else { return nil }
            return candidate
        }
        guard let action else { return nil }
        self = action
    }
}
