import APModel

/// Reading a libvirt domain XML (as `virsh dumpxml` prints it and as libvirt
/// passes it to its hooks on standard input).
public enum DomainXML {
    /// The vfio_ap mediated devices a domain uses, in document order, each once.
    ///
    /// A vfio_ap mdev is a
    /// `<hostdev mode='subsystem' type='mdev' model='vfio-ap'>` (`mode` may be left out:
    /// libvirt's default is `subsystem`) directly under
    /// `/domain/devices`, whose `<source><address uuid='…'/>` names the mdev.
    /// Other host devices (PCI, USB, vfio-ccw or vfio-pci mdevs) and elements
    /// elsewhere (metadata, `qemu:` extensions) are ignored. UUIDs may be written
    /// in any case; the result is lowercase, as the kernel names the device.
    ///
    /// - Parameter document: the XML bytes, UTF-8.
    /// - Throws: ``DomainXMLError`` if the XML is not well-formed, is not a
    ///   domain, or has a vfio-ap hostdev without a valid UUID.
    public static func vfioAPMdevs(in document: [UInt8]) throws(DomainXMLError) -> [MdevUUID] {
        var work = 0
        return try vfioAPMdevs(in: document, work: &work)
    }

    /// ``vfioAPMdevs(in:)-([UInt8])``; `work` grows by the comparisons and look-ups
    /// made, for tests that check the time is linear in the document.
    static func vfioAPMdevs(in document: [UInt8], work: inout Int) throws(DomainXMLError) -> [MdevUUID] {
        let root: ElementNode
        do {
            root = try XMLDocumentReader.parse(document, work: &work)
        } catch {
            throw .malformed(error)
        }
        guard root.name == "domain" else { throw .notADomain(rootElement: root.name) }
        var found: [MdevUUID] = []
        var seen: Set<MdevUUID> = []
        for devices in root.children(named: "devices") {
            for hostdev in devices.children(named: "hostdev") where isVFIOAPMdev(hostdev) {
                work += 1
                guard let text = hostdev.children(named: "source").first?
                    .children(named: "address").first?.attribute("uuid")
                else { throw .missingMdevAddress(line: line(of: hostdev, in: document)) }
                guard let uuid = MdevUUID(text) else {
                    throw .invalidMdevUUID(text, line: line(of: hostdev, in: document))
                }
                if seen.insert(uuid).inserted { found.append(uuid) }
            }
        }
        return found
    }

    /// ``vfioAPMdevs(in:)-([UInt8])`` for XML held in a string.
    public static func vfioAPMdevs(in document: String) throws(DomainXMLError) -> [MdevUUID] {
        try vfioAPMdevs(in: Array(document.utf8))
    }

    private static func line(of element: ElementNode, in document: [UInt8]) -> Int {
        TextPosition(offset: element.offset, in: document).line
    }

    private static func isVFIOAPMdev(_ hostdev: ElementNode) -> Bool {
        // libvirt reads a hostdev without `mode` as `subsystem` (`virDomainHostdevDefParseXML`).
        (hostdev.attribute("mode") ?? "subsystem") == "subsystem" && hostdev.attribute("type") == "mdev"
            && hostdev.attribute("model") == "vfio-ap"
    }
}
