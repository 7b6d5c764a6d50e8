import APModel

/// Reads mdevctl's persistent definition of a vfio_ap mdev, the JSON file
/// `/etc/mdevctl.d/matrix/<uuid>` (ecosystem.md §1):
///
/// ```json
/// {"mdev_type":"vfio_ap-passthrough","start":"auto",
///  "attrs":[{"assign_adapter":"5"},{"assign_domain":"0xab"},{"assign_control_domain":"0xab"}]}
/// ```
///
/// `attrs` is an ordered list of one-key objects with string values (mdevctl's
/// `add_attributes` refuses anything else), applied as
/// ``MdevDefinition/init(attributes:autostart:)`` describes. `mdev_type` and
/// `start` are required, as mdevctl requires them; any `start` but `"auto"` is
/// manual, as mdevctl reads it. Other members are mdevctl's business and are ignored.
public enum MdevctlConfigReader {
    /// The only mdev type a vfio_ap definition can have.
    public static let vfioAPType = "vfio_ap-passthrough"

    private static func kind(_ value: JSONValue) -> String { value.kindDescription }

    /// Parses one definition file.
    ///
    /// - Parameters:
    ///   - text: the file's content.
    ///   - fileName: used in error messages.
    /// - Throws: ``MdevctlConfigError`` naming the file and what was expected.
    public static func read(_ text: String, fileName: String) throws(MdevctlConfigError) -> MdevDefinition {
        func failure(_ expected: String, found: String) -> MdevctlConfigError {
            MdevctlConfigError(fileName: fileName, expected: expected, found: found)
        }
        let document: JSONValue
        do throws(JSONSyntaxError) {
            document = try JSONReader.parse(Array(text.utf8))
        } catch {
            throw failure(error.expected + " at byte \(error.offset + 1)", found: error.found)
        }
        guard case .object(let members) = document else { throw failure("a JSON object", found: kind(document)) }
        func member(_ key: String) -> JSONValue? { members.first { $0.key == key }?.value }

        guard case .string(let type)? = member("mdev_type") else {
            throw failure("\"mdev_type\": \"\(vfioAPType)\"", found: member("mdev_type").map(kind) ?? "no mdev_type")
        }
        guard type == vfioAPType else { throw failure("\"mdev_type\": \"\(vfioAPType)\"", found: "'\(type)'") }
        // mdevctl refuses a definition without `start` ("invalid json", `src/mdev.rs`
        // `load_from_json`) and takes any value but "auto" as manual.
        let autostart: Bool
        switch member("start") {
        case nil, .null?: throw failure("\"start\": \"auto\" or \"manual\" (mdevctl refuses a definition without it)", found: "no start")
        case .string("auto")?: autostart = true
        case .string?, .bool?, .number?, .array?, .object?: autostart = false
        }
        var attributes: [(name: String, value: String)] = []
        switch member("attrs") {
        case nil, .null?:
            break
        case .array(let entries)?:
            for (index, entry) in entries.enumerated() {
                guard case .object(let pair) = entry, pair.count == 1, case .string(let value) = pair[0].value else {
                    throw failure("attrs[\(index)] to be an object with one string member", found: kind(entry))
                }
                attributes.append((pair[0].key, value))
            }
        case let other?:
            throw failure("\"attrs\" to be an array", found: kind(other))
        }
        do {
            return try MdevDefinition(attributes: attributes, autostart: autostart)
        } catch {
            throw failure(error.expected + " in attrs[\(error.index)] \(error.attribute)", found: "'\(error.value)'")
        }
    }
}

/// Why an mdevctl definition file could not be used.
public struct MdevctlConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var fileName: String
    /// What would have been valid, in plain words.
    public var expected: String
    /// What was there.
    public var found: String

    public var description: String { "\(fileName): expected \(expected), found \(found)" }
}
