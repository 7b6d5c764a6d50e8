import APModel

/// The LPAR's AP configuration as PQAP(QCI) reports it: the adapters (APM),
/// usage domains (AQM) and control domains (ADM), and the highest usable ids
/// (`Na`/`Nd` with the APXA facility).
public struct HostConfiguration: Hashable, Sendable {
    /// `adapters` = APM, `domains` = AQM, `controlDomains` = ADM.
    public var masks: APMatrix
    /// `ap_max_adapter_id`.
    public var maxAdapterID: UInt8
    /// `ap_max_domain_id`.
    public var maxDomainID: UInt8

    public init(masks: APMatrix = .empty, maxAdapterID: UInt8 = 255, maxDomainID: UInt8 = 255) {
        self.masks = masks
        self.maxAdapterID = maxAdapterID
        self.maxDomainID = maxDomainID
    }

    /// Whether the usage APQN is in the configuration (and within the max ids).
    func contains(adapter: UInt8, domain: UInt8) -> Bool {
        adapter <= maxAdapterID && domain <= maxDomainID
            && masks.adapters.contains(adapter) && masks.domains.contains(domain)
    }
}
