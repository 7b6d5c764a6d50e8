import Agent
import ArgumentParser
import Sysfs
import Trace

/// What aphotplug does beyond reporting: the mode and where the desired matrices
/// and s390-tools' lock live. `aphotplug daemon`, `record` and `handle` share them.
struct RealizerOptions: ParsableArguments {
    enum ModeOption: String, ExpressibleByArgument, CaseIterable {
        case observe, enforce
        case dryRun = "dry-run"

        /// The realizer this mode needs, nil for observe.
        var realizerMode: MatrixRealizer.Mode? {
            switch self {
            case .observe: return nil
            case .enforce: return .enforce
            case .dryRun: return .dryRun
            }
        }
    }

    @Option(help: """
        observe: report and verify only. enforce: also assign what the mdevctl definitions ask for \
        as soon as the kernel accepts it (ap_config or assign_* writes under s390apconfig.lock, \
        then read back). dry-run: report those writes on standard error instead of making them.
        """)
    var mode: ModeOption = .observe

    @Option(help: ArgumentHelp(
        "mdevctl's configuration directory; definitions are <dir>/matrix/<uuid> (enforce and dry-run).",
        valueName: "dir"))
    var mdevctlDir = MdevctlDirectory.defaultPath

    @Option(help: ArgumentHelp(
        "chzdev's persistent AP bus mask rule; auto definitions with APQNs it keeps for the host are not enforced, "
            + "as ap-check refuses them (enforce and dry-run).",
        valueName: "file"))
    var apMaskRules = APMaskRulesReader.defaultPath

    @Option(help: ArgumentHelp("s390-tools' AP configuration lock file.", visibility: .hidden))
    var lockFile = S390APConfigLock.defaultPath

    /// The definitions to feed, nil in observe mode.
    var definitions: DefinitionSources? {
        guard mode.realizerMode != nil else { return nil }
        return DefinitionSources(mdevctl: MdevctlDirectory(path: mdevctlDir), apMaskRules: APMaskRulesFile(path: apMaskRules))
    }

    /// The realizer the mode needs (nil for observe), reading `tree` and writing
    /// under `sysfsRoot`, trying s390apconfig.lock `lockRetries` times.
    func realizer(tree: any SysfsTree & Sendable, sysfsRoot: String, lockRetries: Int) throws -> MatrixRealizer? {
        guard let mode = mode.realizerMode else { return nil }
        return MatrixRealizer(
            mode: mode, tree: tree, writer: try DirectorySysfsWriter(root: sysfsRoot),
            lock: S390APConfigLock(path: lockFile, retries: lockRetries))
    }
}
