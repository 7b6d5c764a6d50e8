/// The uevent actions the kernel's driver core sends (`kobject_action`).
enum UeventAction: String {
    case add, remove, change, move, online, offline, bind, unbind
}
