import APModel

/// vfio_ap's state while the module is loaded (`matrix_dev`).
struct VfioAPState: Sendable {
    /// `matrix_dev->info`: the host configuration as of module load or the
    /// last configuration change; the filter and `*_max` use it.
    var host: HostConfiguration
    /// `mdev_list`, in creation order.
    var mdevs: [MediatedDevice] = []

    /// The index of the mdev whose assigned matrix holds `apqn` (validation
    /// keeps it unique).
    func ownerIndex(of apqn: APQN) -> Int? {
        mdevs.firstIndex { $0.assigned.contains(apqn) }
    }

    func owner(of apqn: APQN) -> MediatedDevice? {
        ownerIndex(of: apqn).map { mdevs[$0] }
    }

    func index(of uuid: MdevUUID) -> Int? {
        mdevs.firstIndex { $0.uuid == uuid }
    }
}
