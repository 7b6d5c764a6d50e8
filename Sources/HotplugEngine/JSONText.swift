import APModel

/// Minimal JSON text building for the engine's outputs, whose key order and
/// number formats are fixed by design.md. Lines are built as UTF-8 bytes: a big
/// decision lists thousands of APQNs, and the daemon prints every decision.
enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    static func string(_ text: String) -> String { JSONString.quoted(text) }

    /// `text` as a string literal, or `null`.
    static func optional(_ text: String?) -> String { text.map(string) ?? "null" }

    /// A JSON array of AP identifiers as strings (`["05","06"]`).
    static func identifierArray<S: Sequence>(_ items: S) -> String where S.Element: HexIdentifier {
        var bytes: [UInt8] = []
        appendIdentifiers(items, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a JSON array of AP identifiers as strings; they never need escaping.
    static func appendIdentifiers<S: Sequence>(_ items: S, to bytes: inout [UInt8]) where S.Element: HexIdentifier {
        bytes.append(UInt8(ascii: "["))
        var first = true
        for item in items {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            bytes.append(UInt8(ascii: "\""))
            item.appendText(to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Appends `text` as a string literal, or `null`.
    static func appendOptional(_ text: String?, to bytes: inout [UInt8]) {
        guard let text else { return bytes.append(contentsOf: "null".utf8) }
        JSONString.append(text, to: &bytes)
    }
}
