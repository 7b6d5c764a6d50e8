import APModel

/// Writes JSON text into a byte buffer, deterministically; strings are
/// escaped as ``APModel/JSONString`` does for every aphotplug output.
enum JSONText {
    /// Appends `string` as a quoted JSON string.
    static func appendString(_ string: String, to output: inout [UInt8]) {
        JSONString.append(string, to: &output)
    }

    /// Appends `"key":` for an object member.
    static func appendKey(_ key: String, to output: inout [UInt8]) {
        appendString(key, to: &output)
        output.append(UInt8(ascii: ":"))
    }

    /// Appends an object of string members, in the order given.
    static func appendObject<Members: Sequence<(key: String, value: String)>>(
        _ members: Members, to output: inout [UInt8]
    ) {
        output.append(UInt8(ascii: "{"))
        var first = true
        for member in members {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            appendKey(member.key, to: &output)
            appendString(member.value, to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}
