/// Domain XML documents far larger than libvirt writes, for the hook's
/// linear-time tests and benchmarks (issue: 100,000 attributes on one element,
/// 40,000 hostdevs, 10 MB).
public enum LargeDomainXML {
    /// The UUID of the `index`th generated vfio-ap mdev.
    public static func uuid(_ index: Int) -> String {
        let hex = String(index, radix: 16)
        return "0b5e1c3a-1111-4c4c-8888-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    static func hostdev(_ index: Int, extra: String = "") -> String {
        "<hostdev mode='subsystem' type='mdev' model='vfio-ap'\(extra)><source><address uuid='\(uuid(index))'/></source></hostdev>\n"
    }

    static func domain(_ devices: String) -> String {
        "<domain type='kvm'>\n<name>large</name>\n<devices>\n" + devices + "</devices>\n</domain>\n"
    }

    /// One vfio-ap hostdev with `count` extra attributes `a0='0' a1='1' …`.
    public static func manyAttributes(_ count: Int) -> [UInt8] {
        var extra = ""
        extra.reserveCapacity(count * 12)
        for index in 0..<count { extra += " a\(index)='\(index)'" }
        return Array(domain(hostdev(0, extra: extra)).utf8)
    }

    /// `count` vfio-ap hostdevs, each with its own UUID.
    public static func manyHostdevs(_ count: Int) -> [UInt8] {
        var devices = ""
        devices.reserveCapacity(count * 110)
        for index in 0..<count { devices += hostdev(index) }
        return Array(domain(devices).utf8)
    }

    /// At least `bytes` bytes: hostdevs, other devices, comments and text, as a
    /// large real domain mixes them.
    public static func mixed(atLeast bytes: Int) -> [UInt8] {
        var devices = ""
        devices.reserveCapacity(bytes + 4096)
        var index = 0
        while devices.utf8.count < bytes {
            devices += hostdev(index)
            devices += "<!-- disk \(index) --><disk type='file' device='disk'><source file='/var/lib/libvirt/images/\(index).qcow2'/>"
                + "<target dev='vd\(index)' bus='virtio'/><description>a &amp; b &#x41; \(index)</description></disk>\n"
            index += 1
        }
        return Array(domain(devices).utf8)
    }
}
