import APModel

extension Decision {
    /// The decision as one JSON object on one line (no newline), keys in
    /// design.md's order: seq, kind, mdev, guest, adapters, domains, apqns, cause.
    public var jsonLine: String {
        "{\"seq\":\(seq),\"kind\":\"\(kind.rawValue)\",\"mdev\":\(JSONText.optional(mdev?.description))"
            + ",\"guest\":\(JSONText.optional(guest)),\"adapters\":\(JSONText.stringArray(adapters))"
            + ",\"domains\":\(JSONText.stringArray(domains)),\"apqns\":\(JSONText.stringArray(apqns))"
            + ",\"cause\":\(JSONText.string(cause))}"
    }
}
