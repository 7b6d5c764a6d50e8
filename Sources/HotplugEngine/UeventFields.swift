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
            // Dispatch on the key's length first: most keys then need one comparison.
            let key = property.key
            switch key.utf8.count {
            case 6:
                if key == "ACTION" { if action == nil { action = property.value } }
                else if key == "DRIVER" { if driver == nil { driver = property.value } }
                else if key == "SEQNUM" { if seqnum == nil { seqnum = Uevent.seqnum(parsing: property.value) } }
            case 7:
                if key == "DEVPATH", devpath == nil { devpath = property.value }
            case 9:
                if key == "SUBSYSTEM", subsystem == nil { subsystem = property.value }
            default:
                continue
            }
        }
    }
}
