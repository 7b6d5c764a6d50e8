/// A JSON value as ``JSONReader`` reads it. Object members keep their
/// document order and duplicates, which is what uevent environments need
/// (`Uevent` keeps arrival order); numbers keep their literal text.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, already checked against the JSON grammar
    /// (`-12.5e3`); converting it is up to the caller.
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order, duplicate keys included.
    case object([JSONMember])
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue {
    /// The value's kind in plain words, for error messages: `null`, `the number 5`,
    /// `the string 'x'`, `an array`.
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return "the number \(text)"
        case .string(let text): return "the string '\(text)'"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
