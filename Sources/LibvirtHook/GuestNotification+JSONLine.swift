extension GuestNotification {
    /// The notification as a design.md guest trace record, one line without
    /// the newline: `{"type":"guest","action":"attach","mdev":"<uuid>","name":"vm1"}`.
    public var jsonLine: String {
        #"{"type":"guest","action":"\#(action.rawValue)","mdev":"\#(mdev)","name":\#(Self.jsonString(name))}"#
    }

    /// `text` as a JSON string literal: quotes, backslashes and control
    /// characters escaped, everything else as UTF-8.
    private static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
