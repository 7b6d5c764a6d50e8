import APModel

/// What the shell found in chzdev's persistent AP bus mask rule
/// (`/etc/udev/rules.d/41-ap.rules`).
public enum APMaskRulesReading: Hashable, Sendable {
    /// The masks the rule sets; both nil when there is no rule (or it sets neither).
    case read(PersistentAPMasks)
    /// The rule sets a mask s390-tools' libap cannot read; `reason` says where.
    /// ap-check then refuses every define and modify of an auto definition.
    case unusable(reason: String)
}
