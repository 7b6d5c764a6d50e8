import APModel

/// The properties every uevent is dispatched on, gathered in one pass over
/// the event (the per-event hot path of a 131,072-event burst).
struct UeventFields {
    var action: String?
    var devpath: String?
    var subsystem: String?
    var driver: String?
    var seqnum: UInt64?

    init(_ uevent: Uevent) {
        for property in uevent.properties {
            switch property.key {
            case "ACTION": if action == nil { action = property.value }
            case "DEVPATH": if devpath == nil { devpath = property.value }
            case "SUBSYSTEM": if subsystem == nil { subsystem = property.value }
            case "DRIVER": if driver == nil { driver = property.value }
            case "SEQNUM": if seqnum == nil { seqnum = UInt64(property.value) }
            default: continue
            }
        }
    }
}
