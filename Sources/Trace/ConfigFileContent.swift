/// What a reader found at the path of a configuration file the shell follows
/// (chzdev's `41-ap.rules`): its text, no file, or a file it could not read.
public enum ConfigFileContent: Hashable, Sendable {
    /// There is no file.
    case absent
    /// The file's raw content.
    case text(String)
    /// The file exists but could not be read (`reason`: errno text, or not a
    /// regular file, or too large).
    case unreadable(reason: String)
}
