import APModel

extension SimulatedKernel {
    /// `echo UUID > …/mdev_supported_types/vfio_ap-passthrough/create`.
    ///
    /// The input must be 36 or 37 bytes whose first 36 form a UUID (EINVAL);
    /// the device is named in lowercase. EEXIST for a duplicate, EUSERS when
    /// no instance is left, ENOENT without vfio_ap. Emits `add` then `bind`
    /// with `DRIVER=vfio_ap_mdev`; the new mdev has an empty matrix.
    mutating func createMdev(_ text: String) throws(KernelErrno) {
        guard vfio != nil else { throw .ENOENT }
        let bytes = Array(text.utf8)
        guard bytes.count == 36 || bytes.count == 37 else { throw .EINVAL }
        guard let uuid = MdevUUID(String(decoding: bytes.prefix(36), as: UTF8.self)) else { throw .EINVAL }
        guard vfio?.index(of: uuid) == nil else { throw .EEXIST }
        guard availableInstances > 0 else { throw .EUSERS }
        vfio?.mdevs.append(MediatedDevice(uuid: uuid))
        touched.mdevs.insert(uuid)
        touched.drivers = true
        emit(.add, .mdev(uuid))
        emit(.bind, .mdev(uuid), driver: Self.mdevDriver)
    }

    /// `echo 1 > …/<uuid>/remove`. ENOENT when there is no such mdev, EINVAL
    /// when the text is not a number; 0 does nothing.
    ///
    /// A guest that holds the mdev is asked to let go first (vfio_ap clears
    /// its APCB and signals the request eventfd; QEMU unplugs the device),
    /// which the simulator shows as a guest `detach` before `unbind`/`remove`.
    mutating func removeMdev(_ uuid: MdevUUID, value: String) throws(KernelErrno) {
        guard vfio?.index(of: uuid) != nil else { throw .ENOENT }
        guard try KernelNumber.kstrtoul(value) != 0 else { return }
        removeMdevDevice(uuid)
    }

    /// The device removal itself: the guest lets go, vfio_ap resets and
    /// unlinks the queues, then `unbind` (no `DRIVER`) and `remove`.
    mutating func removeMdevDevice(_ uuid: MdevUUID) {
        guard let index = vfio?.index(of: uuid) else { return }
        if vfio?.mdevs[index].guest != nil { detachGuest(mdevAt: index) }
        resetAllLinkedQueues(mdevAt: index)
        vfio?.mdevs.remove(at: index)
        touched.mdevs.insert(uuid)
        touched.drivers = true
        emit(.unbind, .mdev(uuid))
        emit(.remove, .mdev(uuid))
    }

    /// `available_instances`: 65,536 (`MAX_ZDEV_ENTRIES_EXT`) minus existing mdevs.
    public var availableInstances: Int { 65_536 - (vfio?.mdevs.count ?? 0) }

    static let mdevDriver = "vfio_ap_mdev"

    /// VFIO `open_device` with a KVM: the guest gets the current shadow (no
    /// new filter). ENOENT for an unknown mdev, EBUSY when it is already
    /// open, EPERM when the guest holds another vfio_ap mdev.
    mutating func attachGuest(_ uuid: MdevUUID, name: String) throws(KernelErrno) {
        guard let state = vfio, let index = state.index(of: uuid) else { throw .ENOENT }
        guard state.mdevs[index].guest == nil else { throw .EBUSY }
        guard !state.mdevs.contains(where: { $0.guest == name }) else { throw .EPERM }
        vfio?.mdevs[index].guest = name
        touched.mdevs.insert(uuid)
        output.append(.guest(.attach, mdev: uuid, name: name))
    }

    /// VFIO `close_device`. Returns false when no guest holds the mdev.
    mutating func detachGuest(_ uuid: MdevUUID) throws(KernelErrno) -> Bool {
        guard let index = vfio?.index(of: uuid) else { throw .ENOENT }
        guard vfio?.mdevs[index].guest != nil else { return false }
        detachGuest(mdevAt: index)
        return true
    }

    /// `close_device`: the guest's APCB is cleared, the linked queues are
    /// reset, the shadow is kept (`guest_matrix` still shows it).
    private mutating func detachGuest(mdevAt index: Int) {
        guard let mdev = vfio?.mdevs[index], let name = mdev.guest else { return }
        resetAllLinkedQueues(mdevAt: index)
        vfio?.mdevs[index].guest = nil
        touched.mdevs.insert(mdev.uuid)
        output.append(.guest(.detach, mdev: mdev.uuid, name: name))
    }

    /// Makes the last reset of a vfio_ap queue have ended with `code`
    /// (fault injection: the next filter drops its adapter unless the code
    /// is 0, 3 or 4). Returns false when the queue is not bound to vfio_ap.
    mutating func injectResetResult(_ apqn: APQN, code: UInt8) -> Bool {
        guard case .vfioAP? = queues[apqn.index]?.binding else { return false }
        setBinding(apqn.index, .vfioAP(resetResponseCode: code))
        touched.queues.insert(apqn.index)
        return true
    }
}
