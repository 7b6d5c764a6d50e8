import APModel

extension Decision {
    /// The decision as one JSON object on one line (no newline), keys in
    /// design.md's order: seq, kind, mdev, guest, adapters, domains, apqns, cause;
    /// `control_domains` follows `domains` when there are any (`assign`, `unassign`).
    public var jsonLine: String {
        "{\"seq\":\(seq),\"kind\":\"\(kind.rawValue)\",\"mdev\":\(JSONText.optional(mdev?.description))"
            + ",\"guest\":\(JSONText.optional(guest)),\"adapters\":\(JSONText.stringArray(adapters))"
            + ",\"domains\":\(JSONText.stringArray(domains))"
            + (controlDomains.isEmpty ? "" : ",\"control_domains\":\(JSONText.stringArray(controlDomains))")
            + ",\"apqns\":\(JSONText.stringArray(apqns)),\"cause\":\(JSONText.string(cause))}"
    }
}
