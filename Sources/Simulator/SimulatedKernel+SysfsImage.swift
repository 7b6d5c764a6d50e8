import APModel

extension SimulatedKernel {
    /// Every readable file and every link of the simulated tree, as a trace's
    /// snapshot record holds them (write-only attributes are left out: they
    /// cannot be read). The same content ``SimulatedSysfsTree`` writes.
    public var sysfsImage: SysfsImage {
        var image = SysfsImage()
        func add(_ entries: [SysfsEntry]) {
            for entry in entries {
                switch entry.node {
                case .directory, .writeOnlyFile: continue
                case .file(let content): image.files[entry.path] = content
                case .link(let target): image.links[entry.path] = target
                }
            }
        }
        add(BusUnit(self).entries)
        add(DriversUnit(self).entries)
        for id in cardIDs { if let card = card(id) { add(CardUnit(id, card).entries) } }
        for apqn in queueIDs { add(QueueUnit(apqn, in: self).entries) }
        for mdev in mdevs { add(MdevUnit(mdev).entries) }
        return image
    }
}
