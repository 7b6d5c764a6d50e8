import APModel

extension Engine {
    /// The engine's current picture as one JSON object (design.md,
    /// `replay --final-state`): per mdev, in UUID order, its guest, assigned
    /// matrix, predicted guest configuration, and whether it blocks migration.
    public var finalStateJSON: String {
        func matrix(_ m: APMatrix) -> String {
            "{\"adapters\":\(JSONText.identifierArray(m.adapters.adapterIDs))"
                + ",\"domains\":\(JSONText.identifierArray(m.domains.domainIDs))"
                + ",\"control_domains\":\(JSONText.identifierArray(m.controlDomains.domainIDs))}"
        }
        let entries = mdevStates.map { state -> String in
            JSONText.string(state.uuid.description) + ":{\"guest\":\(JSONText.optional(state.guest))"
                + ",\"assigned\":\(matrix(state.assigned)),\"shadow\":\(matrix(state.shadow))"
                + ",\"blocker\":\(state.blocksMigration)}"
        }
        return "{\"mdevs\":{" + entries.joined(separator: ",") + "}}"
    }
}
