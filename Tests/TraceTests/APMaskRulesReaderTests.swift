import APModel
import Foundation
import Testing
import Trace

/// chzdev's persistent AP bus mask rule (`Fixtures/chzdev/41-ap.rules`, the
/// lines of s390-tools' `zdev/src/ap.c` `ap_write_type_udev`, see
/// `Fixtures/chzdev/SOURCE`), read as libap's `ap_read_udev_masks` reads it
/// through libutil's `util_udev_read_file` for ap-check's `check_cfg_mask_conflicts`.
@Suite struct APMaskRulesReaderTests {
    static func read(_ text: String) throws(APMaskRulesError) -> PersistentAPMasks {
        try APMaskRulesReader.read(text, fileName: "41-ap.rules")
    }

    static let zeros = String(repeating: "0", count: 64)

    @Test func chzdevsOwnRule() throws {
        let directory = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let text = try String(contentsOf: directory.appendingPathComponent("chzdev/41-ap.rules"), encoding: .utf8)
        let masks = try Self.read(text)
        #expect(masks.apmask == APMask(range: 4...7))
        #expect(masks.aqmask == APMask([0, 255]))
    }

    /// chzdev leaves out the line of a mask that is not set persistently; libap then takes the active one.
    @Test func aMaskTheRuleDoesNotSetIsNil() throws {
        let masks = try Self.read("LABEL=\"cfg_ap\"\nATTR{../../bus/ap/aqmask}=\"0x\(Self.zeros)\"\n")
        #expect(masks.apmask == nil)
        #expect(masks.aqmask == APMask())
        #expect(masks.effective(activeApmask: APMask([1]), activeAqmask: APMask([2])) == (APMask([1]), APMask()))
        #expect(try Self.read("# nothing\n") == PersistentAPMasks())
        #expect(!PersistentAPMasks().setsAny)
    }

    /// libutil's line grammar: comments and blank lines skipped, only the first
    /// entry of a line counts, any operator counts, the last line wins, and a
    /// line with an entry that does not parse is passed over whole.
    @Test func libutilsLineGrammar() throws {
        let one = "0x4" + String(repeating: "0", count: 63)   // {1}
        let two = "0x2" + String(repeating: "0", count: 63)   // {2}
        let text = """
              # ATTR{apmask}="\(one)"
            ATTR{x/apmask} == '\(one)'
            SUBSYSTEM=="ap", ATTR{aqmask}="\(one)"
            ATTR{aqmask}="\(two)", !bad
            ATTR{apmask}+="\(two)"\r
            """
        let masks = try Self.read(text)
        #expect(masks.apmask == APMask([2]))
        #expect(masks.aqmask == nil)
        // The key names apmask before aqmask: a key with both sets apmask (strstr order).
        #expect(try Self.read("ATTR{aqmask_apmask}=\"\(one)\"").apmask == APMask([1]))
        // A quoted comma does not split the entry.
        #expect(try Self.read("ATTR{apmask}=\"\(one)\",ATTR{aqmask}=\"a,b\"").apmask == APMask([1]))
        // A NUL ends the file, as libutil reads it as a C string.
        #expect(try Self.read("GOTO=\"x\"\u{0}ATTR{apmask}=\"\(one)\"") == PersistentAPMasks())
    }

    /// libap needs `0x` and 64 hex digits, or 66 characters whose first 64 are
    /// hex digits; it keeps 66 characters. On anything else it aborts
    /// (`util_assert` in `get_hexbyte_value`), and ap-check refuses: the reader throws.
    @Test func masksLibapAbortsOnAreRefused() throws {
        let bad = ["0x" + String(repeating: "0", count: 63), Self.zeros, "0X" + Self.zeros, "0x" + String(repeating: "0", count: 63) + "g", ""]
        for value in bad {
            #expect(throws: APMaskRulesError.self, "\(value)") { try Self.read("ATTR{apmask}=\"\(value)\"") }
        }
        let error = try #require(throws: APMaskRulesError.self) { try Self.read("\nATTR{../../bus/ap/aqmask}=\"0x12\"\n") }
        #expect(error.description == "41-ap.rules:2: expected aqmask as 0x and 64 hex digits, found '0x12'")
        // Kept: 66 characters. Beyond them anything goes; without 0x, characters 65 and 66 are not read.
        #expect(try Self.read("ATTR{apmask}=\"0x8\(String(repeating: "0", count: 63))zz\"").apmask == APMask([0]))
        #expect(try Self.read("ATTR{apmask}=\"8\(String(repeating: "0", count: 63))zz\"").apmask == APMask([0]))
    }
}
