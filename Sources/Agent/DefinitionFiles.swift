import APModel
import Trace

/// The files enforce mode reads its desired configuration from, as read:
/// mdevctl's definitions and chzdev's persistent AP bus mask rule.
public struct DefinitionFiles: Equatable, Sendable {
    /// The content of every definition file, by UUID (``MdevctlDirectory``).
    public var definitions: [MdevUUID: String]
    /// chzdev's rule (``APMaskRulesFile``).
    public var apMaskRules: ConfigFileContent

    public init(definitions: [MdevUUID: String] = [:], apMaskRules: ConfigFileContent = .absent) {
        self.definitions = definitions
        self.apMaskRules = apMaskRules
    }
}

/// Where enforce mode reads ``DefinitionFiles`` (`--mdevctl-dir`, `--ap-mask-rules`).
public struct DefinitionSources: Sendable {
    public var mdevctl: MdevctlDirectory
    public var apMaskRules: APMaskRulesFile

    public init(mdevctl: MdevctlDirectory = MdevctlDirectory(), apMaskRules: APMaskRulesFile = APMaskRulesFile()) {
        self.mdevctl = mdevctl
        self.apMaskRules = apMaskRules
    }

    /// Both, each read again while it looks caught in a rewrite, unless it is
    /// what `known` (fed last) holds.
    public func read(known: DefinitionFiles = DefinitionFiles()) -> DefinitionFiles {
        DefinitionFiles(
            definitions: mdevctl.read(known: known.definitions), apMaskRules: apMaskRules.read(known: known.apMaskRules))
    }
}
