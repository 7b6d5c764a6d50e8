/// The uevent actions the kernel's driver core sends (`kobject_action`,
/// `ACTION=`): what the engine reads and the simulator emits.
public enum UeventAction: String, Hashable, Sendable, CaseIterable {
    case add, remove, change, move, online, offline, bind, unbind
}
