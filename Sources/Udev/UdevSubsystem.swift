/// Names of the kernel subsystems aphotplug listens to and enumerates.
public enum UdevSubsystem {
    /// `ap`: the AP bus root device, cards and queues.
    public static let ap = "ap"
    /// `matrix`: the vfio_ap matrix device (`/devices/vfio_ap/matrix`), parent of the mdevs.
    public static let matrix = "matrix"
    /// `mdev`: mediated devices, among them the vfio_ap mdevs.
    public static let mdev = "mdev"
    /// The three subsystems whose events can change what a guest gets: `ap`, `matrix`, `mdev`.
    public static let hotplugRelevant = [ap, matrix, mdev]
}
