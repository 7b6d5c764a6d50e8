import APModel

extension FinalState {
    /// The picture as one JSON object, in the member order design.md fixes:
    /// `{"mdevs":{"<uuid>":{"guest":…,"assigned":<matrix>,"shadow":<matrix>,"blocker":…},…}}`,
    /// each matrix `{"adapters":["05"],"domains":["0004"],"control_domains":[]}`.
    /// `StateFile` in Agent reads it back.
    public var json: String {
        func matrix(_ m: APMatrix) -> String {
            "{\"adapters\":\(JSONText.identifierArray(m.adapters.adapterIDs))"
                + ",\"domains\":\(JSONText.identifierArray(m.domains.domainIDs))"
                + ",\"control_domains\":\(JSONText.identifierArray(m.controlDomains.domainIDs))}"
        }
        let entries = mdevs.map { mdev -> String in
            JSONText.string(mdev.uuid.description) + ":{\"guest\":\(JSONText.optional(mdev.guest))"
                + ",\"assigned\":\(matrix(mdev.assigned)),\"shadow\":\(matrix(mdev.shadow))"
                + ",\"blocker\":\(mdev.blocksMigration)}"
        }
        return "{\"mdevs\":{" + entries.joined(separator: ",") + "}}"
    }
}
