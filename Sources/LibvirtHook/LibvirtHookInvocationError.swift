/// Why the arguments of a qemu hook call could not be read.
public enum LibvirtHookInvocationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libvirt passes exactly four arguments; this call had another count.
    case wrongArgumentCount(Int)
    /// The first argument, the domain name, is empty.
    case emptyDomainName

    public var description: String {
        switch self {
        case .wrongArgumentCount(let count):
            "expected 4 arguments <domain> <operation> <sub-operation> <extra> as libvirt passes them, got \(count)"
        case .emptyDomainName:
            "the domain name (first argument) is empty"
        }
    }
}
