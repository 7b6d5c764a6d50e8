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

    /// Applies mdevctl's ordered `attrs` list the way s390-tools' ap-check reads
    /// it (`load_attr_to_device`): `assign_adapter`, `assign_domain` and
    /// `assign_control_domain` add one id each, parsed like C `strtol(s, 0)`
    /// (decimal, `0x` hex, leading-`0` octal); an `ap_config` attribute
    /// (`0x<apm>,0x<aqm>,0x<adm>`) replaces all three masks.
    ///
    /// - Throws: ``MdevDefinitionError`` naming the first attribute that is not one of these.
    public init(attributes: [(name: String, value: String)], autostart: Bool) throws(MdevDefinitionError) {
        var matrix = APMatrix()
        for (index, attribute) in attributes.enumerated() {
            let value = attribute.value.trimmingTrailingNewline
            switch attribute.name {
            case "assign_adapter":
                matrix.adapters.insert(try Self.id(value, attribute: attribute.name, index: index))
            case "assign_domain":
                matrix.domains.insert(try Self.id(value, attribute: attribute.name, index: index))
            case "assign_control_domain":
                matrix.controlDomains.insert(try Self.id(value, attribute: attribute.name, index: index))
            case "ap_config":
                do {
                    matrix = try APMatrix(apConfigText: String(value))
                } catch {
                    throw MdevDefinitionError(index: index, attribute: attribute.name, value: value, expected: error.description)
                }
            default:
                throw MdevDefinitionError(
                    index: index, attribute: attribute.name, value: value,
                    expected: "one of assign_adapter, assign_domain, assign_control_domain, ap_config")
            }
        }
        self.init(matrix: matrix, autostart: autostart)
    }

    private static func id(_ text: Substring, attribute: String, index: Int) throws(MdevDefinitionError) -> UInt8 {
        guard let value = HexText.parseCNumber(text), value <= 255 else {
            throw MdevDefinitionError(
                index: index, attribute: attribute, value: text,
                expected: "a number from 0 to 255 (decimal, 0x hex or leading-0 octal)")
        }
        return UInt8(value)
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

extension String {
    /// The text without one trailing newline (mdevctl values may carry one, as sysfs writes do).
    var trimmingTrailingNewline: Substring {
        hasSuffix("\n") ? dropLast() : self[...]
    }
}
