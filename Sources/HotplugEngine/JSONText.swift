import APModel

/// Minimal JSON text building for the engine's outputs, whose key order and
/// number formats are fixed by design.md.
enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    static func string(_ text: String) -> String { JSONString.quoted(text) }

    /// A JSON array of already-quoted or plain items.
    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }

    /// A JSON array of strings.
    static func stringArray<S: Sequence>(_ items: S) -> String where S.Element: CustomStringConvertible {
        array(items.map { string($0.description) })
    }

    /// `text` as a string literal, or `null`.
    static func optional(_ text: String?) -> String { text.map(string) ?? "null" }
}
