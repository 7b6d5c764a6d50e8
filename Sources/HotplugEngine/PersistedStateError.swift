/// Why persisted state bytes could not be decoded. The shell treats every such
/// error the same way, by starting from a fresh sysfs read; the description
/// says what was wrong and where, for its log line.
public struct PersistedStateError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Code: Hashable, Sendable {
        /// The bytes do not start with the expected magic: not a state file of this kind.
        case notPersistedState
        /// Written by a different format version; `found` is the file's version.
        case versionMismatch(found: UInt64, expected: UInt64)
        /// The bytes end inside a field.
        case truncated
        /// A field holds a value that cannot be (e.g. a tag no version writes, a malformed UUID).
        case invalidValue(String)
        /// Bytes follow the last field.
        case trailingBytes(Int)
    }

    public var code: Code
    /// The field being decoded, e.g. `engine.mdevs[1].shadow`.
    public var field: String
    /// The byte offset at which the problem was found.
    public var offset: Int

    public init(_ code: Code, field: String, offset: Int) {
        self.code = code
        self.field = field
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch code {
        case .notPersistedState: what = "not aphotplug persisted state (wrong magic)"
        case .versionMismatch(let found, let expected): what = "format version \(found), this aphotplug reads version \(expected)"
        case .truncated: what = "truncated"
        case .invalidValue(let reason): what = "invalid value: \(reason)"
        case .trailingBytes(let count): what = "\(count) unexpected byte(s) after the last field"
        }
        return "\(what) (field \(field), byte offset \(offset))"
    }
}
