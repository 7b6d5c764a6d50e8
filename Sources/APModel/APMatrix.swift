/// An AP matrix: the adapters, usage domains and control domains of an mdev's
/// assignment or of a guest's AP configuration (APCB).
///
/// The usage APQNs are the Cartesian product adapters × domains; control
/// domains stand apart (they are never filtered by queue state).
public struct APMatrix: Hashable, Sendable {
    public var adapters: APMask
    public var domains: APMask
    public var controlDomains: APMask

    public init(adapters: APMask = APMask(), domains: APMask = APMask(), controlDomains: APMask = APMask()) {
        self.adapters = adapters
        self.domains = domains
        self.controlDomains = controlDomains
    }

    /// The empty matrix.
    public static let empty = APMatrix()

    /// Whether no adapter, domain or control domain is set.
    public var isEmpty: Bool { adapters.isEmpty && domains.isEmpty && controlDomains.isEmpty }

    /// The usage APQNs, adapter-major and ascending.
    public var apqns: [APQN] {
        var result: [APQN] = []
        result.reserveCapacity(adapters.count * domains.count)
        for adapter in adapters {
            for domain in domains { result.append(APQN(adapter: adapter, domain: domain)) }
        }
        return result
    }

    /// Whether `apqn` is one of the usage APQNs.
    public func contains(_ apqn: APQN) -> Bool {
        adapters.contains(apqn.adapter.rawValue) && domains.contains(apqn.domain.rawValue)
    }

    /// Whether the usage APQNs of `self` and `other` overlap (both dimensions
    /// intersect), the kernel's sharing-conflict test.
    public func overlaps(_ other: APMatrix) -> Bool {
        adapters.intersects(other.adapters) && domains.intersects(other.domains)
    }
}
