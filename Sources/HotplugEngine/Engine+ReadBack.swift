import APModel

extension Engine {
    /// The mdevs whose assignment or guest configuration `uevent` can have
    /// changed, in UUID order: those with the event's adapter assigned (a card
    /// or queue event), the event's own mdev, or every mdev (an AP bus, matrix
    /// device or unrecognized event). A shell that reads back after each event
    /// (`aphotplug handle`) reads only these.
    public func mdevsAffected(by uevent: Uevent) -> [MdevUUID] {
        guard let devpath = uevent.devpath, let device = APDevice(devpath: devpath) else { return mdevOrder }
        switch device {
        case .busRoot, .matrix:
            return mdevOrder
        case .card(let id):
            return mdevs.records.filter { $0.assigned.adapters.contains(id.rawValue) }.map(\.uuid)
        case .queue(let apqn):
            return mdevs.records.filter { $0.assigned.adapters.contains(apqn.adapter.rawValue) }.map(\.uuid)
        case .mdev(let uuid):
            return [uuid]
        }
    }
}
