import APModel
import LibvirtHook
import Testing

@Suite("LibvirtHookOperation: qemu hook operations and guest actions")
struct LibvirtHookOperationTests {
    static let table: [(argument: String, operation: LibvirtHookOperation, action: GuestRecord.Action?)] = [
        ("prepare", .prepare, .attach),
        ("start", .start, .attach),
        ("started", .started, .attach),
        ("reconnect", .reconnect, .attach),
        ("attach", .attach, .attach),
        ("stopped", .stopped, .detach),
        ("release", .release, .detach),
        ("migrate", .migrate, nil),
        ("restore", .restore, nil),
        ("shutdown", .unknown("shutdown"), nil),
        ("Started", .unknown("Started"), nil),
    ]

    @Test("every libvirt operation name maps to its case and guest action", arguments: table)
    func mapping(_ row: (argument: String, operation: LibvirtHookOperation, action: GuestRecord.Action?)) {
        let operation = LibvirtHookOperation(row.argument)
        #expect(operation == row.operation)
        #expect(operation.guestAction == row.action)
    }
}
