import APModel
import Testing

/// The mask syntaxes of kernel-ap.md §0 and §3.4, example by example.
@Suite struct APMaskTextTests {
    func ids(_ mask: APMask) -> [Int] { mask.map(Int.init) }

    @Test func bitZeroIsLeftmost() throws {
        #expect(ids(try APMask(sysfsHex: "0x80")) == [0])
        #expect(ids(try APMask(sysfsHex: "0x40")) == [1])
        #expect(ids(try APMask(sysfsHex: "0x41")) == [1, 7])
        #expect(ids(try APMask(sysfsHex: "0x7d00")) == [1, 2, 3, 4, 5, 7])
    }

    @Test func absoluteFormRules() throws {
        #expect(try APMask(sysfsHex: "0x") == APMask())
        #expect(try APMask(sysfsHex: "") == APMask())
        #expect(try APMask(sysfsHex: "\n") == APMask())
        #expect(try APMask(sysfsHex: "x41") == APMask([1, 7]))
        #expect(try APMask(sysfsHex: "41") == APMask([1, 7]))
        #expect(throws: APMaskParseError.unexpectedCharacter("XFF"), "the kernel only strips a lowercase 0x") {
            try APMask(sysfsHex: "0XFF")
        }
        #expect(try APMask(sysfsHex: "0xAB\n") == APMask([0, 2, 4, 6, 7]))
        let full = "0x" + String(repeating: "f", count: 64)
        #expect(try APMask(sysfsHex: full) == .all)
        #expect(throws: APMaskParseError.tooManyDigits(65)) { try APMask(sysfsHex: full + "f") }
        #expect(throws: APMaskParseError.unexpectedCharacter("\n")) { try APMask(sysfsHex: "0x41\n\n") }
        #expect(throws: APMaskParseError.unexpectedCharacter(" ")) { try APMask(sysfsHex: "0x41 ") }
    }

    @Test func sysfsHexIsSixtyFourLowercaseDigits() throws {
        let mask = APMask([0, 5, 255])
        #expect(mask.sysfsHex == "0x84" + String(repeating: "0", count: 61) + "1")
        #expect(mask.sysfsHex.count == 66)
        #expect(try APMask(sysfsHex: mask.sysfsHex) == mask)
    }

    @Test func relativeFormExamplesFromTheReference() throws {
        #expect(ids(try APMask().applyingWrite("+0-15,+32,-128,-0xFF")) == Array(0...15) + [32])
        #expect(try APMask.all.applyingWrite("-5,-6") == APMask.all.subtracting(APMask([5, 6])))
        #expect(ids(try APMask().applyingWrite("+1,+2,-7-10")) == [1, 2])
        #expect(ids(try APMask().applyingWrite("+010")) == [8], "a leading 0 is octal")
        #expect(ids(try APMask().applyingWrite("+0x10")) == [16])
        #expect(ids(try APMask().applyingWrite("+0-3,-1\n")) == [0, 2, 3])
        #expect(ids(try APMask().applyingWrite("+1,,+2\n,+3")) == [1, 2, 3], "runs of separators")
        #expect(ids(try APMask([4]).applyingWrite("0x80")) == [0], "absolute form replaces")
    }

    @Test(arguments: ["+256", "+5-4", "+ 5", "5,+6", "+6,7", "+0x", "+08", "+1-", "-a", "+0-0x100", "+"])
    func relativeFormRejectsAndChangesNothing(text: String) {
        let start = APMask([1, 2, 3])
        #expect(throws: APMaskParseError.self) { try start.applyingWrite(text) }
    }

    @Test func listForm() throws {
        #expect(ids(try APMask(listText: "1,5-7,0xab")) == [1, 5, 6, 7, 0xab])
        #expect(try APMask(listText: "") == APMask())
        #expect(APMask([1, 5, 6, 7, 0xab]).listText == "1,5-7,171")
        #expect(APMask.all.listText == "0-255")
        #expect(throws: APMaskParseError.self) { try APMask(listText: "1,,2") }
        #expect(throws: APMaskParseError.self) { try APMask(listText: "300") }
    }

    @Test func setAlgebra() {
        let a = APMask([1, 2, 3, 200])
        let b = APMask([3, 4, 200])
        #expect(ids(a.union(b)) == [1, 2, 3, 4, 200])
        #expect(ids(a.intersection(b)) == [3, 200])
        #expect(ids(a.subtracting(b)) == [1, 2])
        #expect(a.count == 4)
        #expect(a.first == 1)
        #expect(APMask().first == nil)
        #expect(APMask([3]).isSubset(of: b))
        #expect(!a.isSubset(of: b))
        #expect(APMask(range: 250...255).count == 6)
    }
}
