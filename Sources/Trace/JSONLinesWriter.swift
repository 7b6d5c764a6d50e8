import APModel

/// Writes traces in aphotplug's JSON Lines format, one record per line:
///
/// ```
/// {"type":"snapshot","files":{"bus/ap/apmask":"0xff…\n",…},"links":{…}}
/// {"type":"uevent","env":{"ACTION":"bind","DEVPATH":"/devices/ap/card05/05.0004",…}}
/// {"type":"guest","action":"attach","mdev":"<uuid>","name":"vm1"}
/// {"type":"observe","path":"/sys/devices/vfio_ap/matrix/<uuid>/guest_matrix","value":"05.0004\n"}
/// {"type":"definition","mdev":"<uuid>","config":"{\"mdev_type\":\"vfio_ap-passthrough\",…}"}
/// {"type":"settled"}
/// ```
///
/// Output is deterministic: keys in the order above, `env` in the event's
/// property order, snapshot files and links sorted by path, no spaces, a
/// guest's `name` left out when unknown, a removed definition's `config` null. ``JSONLinesReader`` reads every
/// line back to the same record.
public enum JSONLinesWriter {
    /// One record as a line of JSON, with its trailing `\n`.
    public static func line(_ record: TraceRecord) -> String {
        var output: [UInt8] = []
        append(record, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Every record, one line each.
    public static func write(_ records: some Sequence<TraceRecord>) -> String {
        var output: [UInt8] = []
        for record in records { append(record, to: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    private static func append(_ record: TraceRecord, to output: inout [UInt8]) {
        output.append(contentsOf: "{\"type\":".utf8)
        switch record {
        case .snapshot(let image):
            JSONText.appendString("snapshot", to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("files", to: &output)
            JSONText.appendObject(image.files.sorted { $0.key < $1.key }, to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("links", to: &output)
            JSONText.appendObject(image.links.sorted { $0.key < $1.key }, to: &output)
        case .uevent(let event):
            JSONText.appendString("uevent", to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("env", to: &output)
            JSONText.appendObject(event.properties.lazy.map { (key: $0.key, value: $0.value) }, to: &output)
        case .guest(let guest):
            JSONText.appendString("guest", to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("action", to: &output)
            JSONText.appendString(guest.action.rawValue, to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("mdev", to: &output)
            JSONText.appendString(guest.mdev.description, to: &output)
            if let name = guest.name {
                output.append(UInt8(ascii: ","))
                JSONText.appendKey("name", to: &output)
                JSONText.appendString(name, to: &output)
            }
        case .observe(let path, let value):
            JSONText.appendString("observe", to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("path", to: &output)
            JSONText.appendString(path, to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("value", to: &output)
            JSONText.appendString(value, to: &output)
        case .definition(let mdev, let config):
            JSONText.appendString("definition", to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("mdev", to: &output)
            JSONText.appendString(mdev.description, to: &output)
            output.append(UInt8(ascii: ","))
            JSONText.appendKey("config", to: &output)
            if let config {
                JSONText.appendString(config, to: &output)
            } else {
                output.append(contentsOf: "null".utf8)
            }
        case .settled:
            JSONText.appendString("settled", to: &output)
        }
        output.append(contentsOf: "}\n".utf8)
    }
}
