import APModel
import Foundation
import Testing
import Trace

/// mdevctl's own definition files (`Fixtures/mdevctl/`, copied from mdevctl's
/// `testdata/modify/`, see `Fixtures/mdevctl/SOURCE`), read as s390-tools' libap
/// reads them for ap-check (`libap/ap.c`, `vfio_ap_read_device_config`,
/// `load_attr_to_device`, `modify_device_attr`) and as mdevctl's `src/mdev.rs`
/// (`load_from_json`, `add_attributes`) accepts them.
@Suite struct MdevctlTestdataTests {
    static func fixture(_ name: String) throws -> String {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try String(contentsOf: directory.appendingPathComponent("mdevctl/" + name), encoding: .utf8)
    }

    static func read(_ text: String) throws(MdevctlConfigError) -> MdevDefinition {
        try MdevctlConfigReader.read(text, fileName: "/etc/mdevctl.d/matrix/x")
    }

    /// The matrix of mdevctl's `testdata/modify/*.expected`: adapters 5 and 6,
    /// domains 4 and 0xab, control domains 4 and 0xab.
    static let expectedMatrix = APMatrix(adapters: APMask([5, 6]), domains: APMask([4, 0xab]), controlDomains: APMask([4, 0xab]))

    /// `testdata/modify/addattr.expected`: `mdevctl modify --addattr=added-attr`
    /// put an attribute libap does not know in the middle; libap ignores it.
    @Test func addattrExpectedIgnoresTheUnknownAttribute() throws {
        let definition = try Self.read(try Self.fixture("modify-addattr.expected"))
        #expect(definition.matrix == Self.expectedMatrix)
        #expect(!definition.autostart)
    }

    /// `testdata/modify/manual.expected` and `auto.expected`: the same attrs, `start` read as mdevctl reads it.
    @Test func manualAndAutoExpected() throws {
        let manual = try Self.read(try Self.fixture("modify-manual.expected"))
        let auto = try Self.read(try Self.fixture("modify-auto.expected"))
        #expect(manual == MdevDefinition(matrix: Self.expectedMatrix, autostart: false))
        #expect(auto == MdevDefinition(matrix: Self.expectedMatrix, autostart: true))
    }

    /// `modify_device_attr`: `strtok(value, ",")`, then `strtol(piece, NULL, 0)`
    /// per piece: a list, leading white space and a sign are all read.
    @Test("strtol forms libap reads", arguments: [
        ("+5", [5]), (" 5", [5]), ("5,6", [5, 6]), ("0x5,006", [5, 6]), (",5,,6,", [5, 6]), ("5\n", [5]), ("", []),
    ] as [(String, [UInt8])])
    func strtolForms(value: String, adapters: [UInt8]) throws {
        let text = try Self.fixture("modify-auto.expected")
            .replacingOccurrences(of: #""assign_adapter": "6""#, with: #""assign_adapter": "\#(value.replacingOccurrences(of: "\n", with: "\\n"))""#)
            .replacingOccurrences(of: #""assign_adapter": "5""#, with: #""assign_adapter": "\#(value.replacingOccurrences(of: "\n", with: "\\n"))""#)
        #expect(try Self.read(text).matrix.adapters == APMask(adapters))
    }

    /// mdevctl's `load_from_json` refuses a definition without `start` ("invalid json").
    @Test func missingStartIsRefusedAsMdevctlRefusesIt() throws {
        let text = try Self.fixture("modify-auto.expected").replacingOccurrences(of: #""start": "auto","#, with: "")
        #expect(throws: MdevctlConfigError.self) { try Self.read(text) }
    }
}
