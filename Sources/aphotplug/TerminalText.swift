/// Text from a file or a peer made safe to print on a terminal: guest names come
/// from libvirt domain XML and the control socket, and an escape sequence in one
/// must not clear the admin's screen or retitle the window.
enum TerminalText {
    /// `text` with control characters (C0, DEL, C1) as `\xNN`, bidirectional
    /// overrides and isolates as `\u{NNNN}`, and `\` as `\\`, so that the escaping
    /// cannot be faked; everything else as it is.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C:
                result += "\\\\"
            case 0x00...0x1F, 0x7F...0x9F:
                let hex = String(scalar.value, radix: 16)
                result += "\\x" + (hex.count < 2 ? "0" : "") + hex
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F:
                result += "\\u{" + String(scalar.value, radix: 16) + "}"
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
