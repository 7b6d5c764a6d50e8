import APModel

/// One call of libvirt's qemu hook:
/// `/etc/libvirt/hooks/qemu <domain> <operation> <sub-operation> <extra>`, with
/// the domain XML on standard input (libvirt.org/hooks.html). Scripts in
/// `/etc/libvirt/hooks/qemu.d/` (libvirt ≥ 6.5) get the same arguments.
///
/// - Important: libvirt runs hooks synchronously and a failing hook aborts the
///   guest's start (and kills it on `reconnect`). aphotplug only reports, so
///   its hook must never fail: callers log errors from this type and exit 0.
///   No case is known where vetoing would be right; sharing conflicts are the
///   daemon's to report, and mdevctl's ap-check already vetoes bad starts.
public struct LibvirtHookInvocation: Equatable, Sendable {
    /// The domain (guest) name.
    public var domain: String
    public var operation: LibvirtHookOperation
    /// `begin`, `end` or `-`; informational.
    public var subOperation: String
    /// The extra argument, `-` if none; informational.
    public var extra: String

    /// Reads the four hook arguments, program name excluded.
    ///
    /// - Throws: ``LibvirtHookInvocationError`` for a wrong argument count or an
    ///   empty domain name.
    public init(arguments: [String]) throws(LibvirtHookInvocationError) {
        guard arguments.count == 4 else { throw .wrongArgumentCount(arguments.count) }
        guard !arguments[0].isEmpty else { throw .emptyDomainName }
        domain = arguments[0]
        operation = LibvirtHookOperation(arguments[1])
        subOperation = arguments[2]
        extra = arguments[3]
    }

    /// The notifications this call implies for the vfio-ap mdevs of `domainXML`.
    ///
    /// Operations without a guest action (``LibvirtHookOperation/guestAction``)
    /// give an empty list without reading the XML, so that a filter operation
    /// never fails on it.
    ///
    /// - Throws: ``DomainXMLError`` when the XML must be read and cannot be.
    public func notifications(forDomainXML domainXML: [UInt8]) throws(DomainXMLError) -> [GuestRecord] {
        guard let action = operation.guestAction else { return [] }
        return try DomainXML.vfioAPMdevs(in: domainXML).map {
            GuestRecord(action: action, mdev: $0, name: domain)
        }
    }
}
