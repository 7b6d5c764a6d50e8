import APModel

/// The engine's picture as the outside sees it, as a typed read model:
/// `replay --final-state` prints it (``json``), the daemon's state file holds
/// it (`StateFile`, which also reads it back), and `aphotplug status` and
/// `aphotplug demo` render their table from it.
public struct FinalState: Hashable, Sendable {
    /// What the picture holds about one mdev.
    public struct Mdev: Hashable, Sendable {
        public var uuid: MdevUUID
        /// The name of the guest holding the mdev; nil when none does or its name is unknown.
        public var guest: String?
        public var assigned: APMatrix
        /// The predicted guest configuration (`guest_matrix`, plus control domains).
        public var shadow: APMatrix
        /// Whether a guest holds the mdev (it cannot be live-migrated).
        public var blocksMigration: Bool

        public init(uuid: MdevUUID, guest: String?, assigned: APMatrix, shadow: APMatrix, blocksMigration: Bool) {
            self.uuid = uuid
            self.guest = guest
            self.assigned = assigned
            self.shadow = shadow
            self.blocksMigration = blocksMigration
        }
    }

    /// Every mdev, in UUID order when the engine made the picture.
    public var mdevs: [Mdev]

    public init(mdevs: [Mdev]) {
        self.mdevs = mdevs
    }
}

extension Engine {
    /// The engine's current picture: per mdev, in UUID order, its guest,
    /// assigned matrix, predicted guest configuration, and whether it blocks migration.
    public var finalState: FinalState {
        FinalState(mdevs: mdevs.records.map { record in
            FinalState.Mdev(
                uuid: record.uuid, guest: record.guest.name, assigned: record.assigned, shadow: record.shadow,
                blocksMigration: record.guest.isAttached)
        })
    }

    /// ``finalState`` as one JSON object (design.md, `replay --final-state`).
    public var finalStateJSON: String { finalState.json }
}
