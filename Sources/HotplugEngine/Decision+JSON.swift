import APModel

extension Decision {
    /// The decision as one JSON object on one line (no newline), keys in
    /// design.md's order: seq, kind, mdev, guest, adapters, domains, apqns, cause;
    /// `control_domains` follows `domains` when there are any (`assign`).
    public var jsonLine: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + 10 * apqns.count + cause.utf8.count)
        bytes.append(contentsOf: "{\"seq\":\(seq),\"kind\":\"\(kind.rawValue)\",\"mdev\":".utf8)
        JSONText.appendOptional(mdev?.description, to: &bytes)
        bytes.append(contentsOf: ",\"guest\":".utf8)
        JSONText.appendOptional(guest, to: &bytes)
        func identifiers<S: Sequence>(_ key: String, _ items: S) where S.Element: HexIdentifier {
            bytes.append(contentsOf: key.utf8)
            JSONText.appendIdentifiers(items, to: &bytes)
        }
        identifiers(",\"adapters\":", adapters)
        identifiers(",\"domains\":", domains)
        if !controlDomains.isEmpty { identifiers(",\"control_domains\":", controlDomains) }
        identifiers(",\"apqns\":", apqns)
        bytes.append(contentsOf: ",\"cause\":".utf8)
        JSONString.append(cause, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
