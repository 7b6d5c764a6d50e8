/// Why the vfio-ap mdevs of a domain XML could not be read.
public enum DomainXMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input is not well-formed XML (truncated, mismatched tags, …).
    case malformed(XMLSyntaxError)
    /// The root element is not `<domain>`: the input is not a libvirt domain XML.
    case notADomain(rootElement: String)
    /// A vfio-ap `<hostdev>` lacks `<source><address uuid='…'/></source>`.
    case missingMdevAddress(line: Int)
    /// A vfio-ap `<hostdev>` names something that is not an `8-4-4-4-12` UUID.
    case invalidMdevUUID(String, line: Int)

    public var description: String {
        switch self {
        case .malformed(let error):
            "the domain XML is not well-formed: \(error)"
        case .notADomain(let rootElement):
            "the XML is not a libvirt domain: its root element is <\(rootElement)>, not <domain>"
        case .missingMdevAddress(let line):
            "the vfio-ap <hostdev> at line \(line) has no <source><address uuid='…'/></source>"
        case .invalidMdevUUID(let value, let line):
            "the vfio-ap <hostdev> at line \(line) names '\(value)', which is not an mdev UUID"
        }
    }
}
