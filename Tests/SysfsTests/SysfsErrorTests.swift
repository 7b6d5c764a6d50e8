import Glibc
import Sysfs
import Testing

@Suite struct SysfsErrorTests {
    private let mdev = "/sys/devices/vfio_ap/matrix/0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60"

    @Test(arguments: [
        (ENOENT, SysfsError.Code.notFound, "ENOENT"),
        (EACCES, .permissionDenied, "EACCES"),
        (EPERM, .permissionDenied, "EPERM"),
        (EBUSY, .busy, "EBUSY"),
        (EINVAL, .invalid, "EINVAL"),
        (ENODEV, .noDevice, "ENODEV"),
        (ENXIO, .noDevice, "ENXIO"),
        (EADDRINUSE, .addressInUse, "EADDRINUSE"),
        (EADDRNOTAVAIL, .addressNotAvailable, "EADDRNOTAVAIL"),
        (EEXIST, .other, "EEXIST"),
        (EUSERS, .other, "EUSERS"),
        (EIO, .other, "EIO"),
        (Int32(4095), .other, "errno 4095"),
    ])
    func codesAndNames(errno: Int32, code: SysfsError.Code, name: String) {
        let error = SysfsError(operation: .read, path: "/sys/x", errno: errno)
        #expect(error.code == code)
        #expect(error.errnoName == name)
    }

    @Test(arguments: [
        ("assign_adapter", EADDRINUSE, "an APQN of the resulting matrix is already assigned to another mediated device"),
        ("assign_domain", EADDRNOTAVAIL, "an APQN of the resulting matrix is host-owned per apmask/aqmask (pre-6.0 kernels: not bound to vfio_ap)"),
        ("assign_adapter", ENODEV, "the adapter number is above ap_max_adapter_id"),
        ("assign_domain", ENODEV, "the domain number is above ap_max_domain_id"),
        ("assign_control_domain", ENODEV, "the domain number is above ap_max_domain_id"),
        ("unassign_adapter", EINVAL, "the value is not a number (decimal, 0x hex or leading-0 octal)"),
        ("ap_config", EINVAL, "the value is not three comma-separated masks 0x<hex>,0x<hex>,0x<hex>"),
        ("ap_config", EADDRINUSE, "an APQN of the resulting matrix is already assigned to another mediated device"),
        ("remove", EBUSY, "the mdev is in use by a guest (pre-6.0 kernels; newer kernels block instead)"),
    ])
    func mdevWriteMeanings(attribute: String, errno: Int32, meaning: String) {
        let error = SysfsError(operation: .write(value: "5\n"), path: mdev + "/" + attribute, errno: errno)
        #expect(error.meaning == meaning)
    }

    @Test func maskWriteMeanings() {
        let busy = SysfsError(operation: .write(value: "+5"), path: "/sys/bus/ap/apmask", errno: EBUSY)
        #expect(busy.meaning.hasPrefix("APQNs that would return to the host are assigned to a vfio_ap mediated device"))
        #expect(busy.description.hasPrefix("writing '+5' to /sys/bus/ap/apmask failed with EBUSY: APQNs that would return"))
        let invalid = SysfsError(operation: .write(value: "+999"), path: "/sys/bus/ap/aqmask", errno: EINVAL)
        #expect(invalid.meaning.hasPrefix("the mask text is malformed"))
    }

    @Test func createAndBindMeanings() {
        let type = "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create"
        #expect(SysfsError(operation: .write(value: "x"), path: type, errno: EEXIST).meaning
            == "a mediated device with this UUID already exists")
        #expect(SysfsError(operation: .write(value: "x"), path: type, errno: EUSERS).meaning
            == "no instances left (available_instances is 0)")
        let bind = SysfsError(operation: .write(value: "05.0004"), path: "/sys/bus/ap/drivers/vfio_ap/bind", errno: ENODEV)
        #expect(bind.meaning.contains("host-owned queues"))
        #expect(SysfsError(operation: .write(value: "05.0004"), path: "/sys/bus/ap/drivers/vfio_ap/bind", errno: EBUSY).meaning
            == "the device is already bound to a driver; unbind it first")
        #expect(SysfsError(operation: .write(value: "05.0004"), path: "/sys/bus/ap/drivers/cex4queue/unbind", errno: ENODEV).meaning
            == "the device is not bound to the driver cex4queue")
    }

    @Test func genericMeanings() {
        #expect(SysfsError(operation: .write(value: "1"), path: "/sys/x/config", errno: EACCES).meaning
            == "writing sysfs attributes needs root (CAP_SYS_ADMIN)")
        #expect(SysfsError(operation: .write(value: "1"), path: "/sys/x/unknown", errno: EIO).meaning == "input/output error")
        #expect(SysfsError(operation: .write(value: "1"), path: "/sys/bus/ap/apmask", errno: EINTR).meaning
            .hasPrefix("interrupted by a signal"))
        // Reads get plain errno phrases, never a write meaning.
        #expect(SysfsError(operation: .read, path: mdev + "/assign_adapter", errno: EADDRINUSE).meaning == "address already in use")
    }

    @Test func descriptions() {
        #expect(SysfsError(operation: .read, path: "/sys/bus/ap/apmask", errno: EACCES).description
            == "cannot read /sys/bus/ap/apmask: permission denied (EACCES)")
        #expect(SysfsError(operation: .readLink, path: "/sys/x/driver", errno: EINVAL).description
            == "cannot read the link /sys/x/driver: invalid argument (EINVAL)")
        #expect(SysfsError(operation: .listDirectory, path: "/sys/devices/ap", errno: ENOENT).description
            == "cannot list /sys/devices/ap: no such file or directory (ENOENT)")
        #expect(SysfsError(operation: .write(value: "0x5\n"), path: mdev + "/assign_adapter", errno: EADDRINUSE).description
            == "writing '0x5\\n' to \(mdev)/assign_adapter failed with EADDRINUSE: an APQN of the resulting matrix is already assigned to another mediated device")
    }
}
