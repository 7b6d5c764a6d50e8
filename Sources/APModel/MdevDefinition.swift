/// The persistent definition of a vfio_ap mediated device, as mdevctl keeps it
/// in `/etc/mdevctl.d/matrix/<uuid>` (ecosystem.md §1): the matrix the
/// administrator wants the mdev to have, whether or not the kernel could
/// assign all of it yet.
public struct MdevDefinition: Hashable, Sendable {
    /// The desired assignment: adapters, usage domains and control domains.
    public var matrix: APMatrix
    /// `"start":"auto"`: mdevctl creates the mdev when the matrix device registers.
    public var autostart: Bool

    public init(matrix: APMatrix, autostart: Bool) {
        self.matrix = matrix
        self.autostart = autostart
    }

    /// Applies mdevctl's ordered `attrs` list the way s390-tools' libap reads
    /// it for ap-check (`load_attr_to_device` in `libap/ap.c`):
    /// `assign_adapter`, `assign_domain` and `assign_control_domain` add the
    /// comma-separated ids of their value, each read like C `strtol(s, 0)`
    /// (``StrtolList``); an `ap_config` attribute (`0x<apm>,0x<aqm>,0x<adm>`)
    /// replaces all three masks; any other attribute is ignored, as libap
    /// ignores it (mdevctl writes it to sysfs at start, `testdata/modify/addattr.expected`).
    ///
    /// - Throws: ``MdevDefinitionError`` naming the first attribute whose value is not usable.
    public init(attributes: [(name: String, value: String)], autostart: Bool) throws(MdevDefinitionError) {
        var matrix = APMatrix()
        for (index, attribute) in attributes.enumerated() {
            let value = attribute.value[...]
            switch attribute.name {
            case "assign_adapter":
                for id in try Self.ids(value, attribute: attribute.name, index: index) { matrix.adapters.insert(id) }
            case "assign_domain":
                for id in try Self.ids(value, attribute: attribute.name, index: index) { matrix.domains.insert(id) }
            case "assign_control_domain":
                for id in try Self.ids(value, attribute: attribute.name, index: index) { matrix.controlDomains.insert(id) }
            case "ap_config":
                let text = value.hasSuffix("\n") ? value.dropLast() : value
                do {
                    matrix = try APMatrix(apConfigText: String(text))
                } catch {
                    throw MdevDefinitionError(index: index, attribute: attribute.name, value: value, expected: error.description)
                }
            default:
                continue
            }
        }
        self.init(matrix: matrix, autostart: autostart)
    }

    private static func ids(_ text: Substring, attribute: String, index: Int) throws(MdevDefinitionError) -> [UInt8] {
        func refusal() -> MdevDefinitionError {
            MdevDefinitionError(
                index: index, attribute: attribute, value: text,
                expected: "comma-separated numbers from 0 to 255 (decimal, 0x hex or leading-0 octal, as strtol reads them)")
        }
        let values: [Int]
        do throws(StrtolList.Refusal) {
            values = try StrtolList.ids(text)
        } catch {
            throw refusal()
        }
        guard values.allSatisfy({ $0 <= 255 }) else { throw refusal() }
        return values.map { UInt8($0) }
    }
}

/// Why an mdevctl `attrs` entry could not be applied.
public struct MdevDefinitionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The 0-based position of the entry in `attrs`.
    public var index: Int
    public var attribute: String
    public var value: String
    /// What the entry should have been.
    public var expected: String

    init(index: Int, attribute: String, value: Substring, expected: String) {
        self.index = index
        self.attribute = attribute
        self.value = String(value)
        self.expected = expected
    }

    public var description: String {
        "attrs[\(index)] \(attribute) = '\(value)': expected \(expected)"
    }
}
