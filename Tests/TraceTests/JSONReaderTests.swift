import Testing
import Trace

@Suite struct JSONReaderTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    private func error(_ text: String) -> JSONSyntaxError? {
        do {
            _ = try JSONReader.parse(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test func literalsAndWhitespace() throws {
        #expect(try parse(" \t\r\n null \n") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
    }

    @Test(arguments: ["0", "-0", "12", "-12", "1.5", "0.25", "1e5", "1E+5", "2.5e-3", "-0.0E0", "123456789012345678901234567890"])
    func validNumbersKeepTheirText(_ text: String) throws {
        #expect(try parse(text) == .number(text))
    }

    @Test(arguments: ["01", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "1.e3", "--1", "NaN", "Infinity"])
    func invalidNumbers(_ text: String) {
        #expect(error(text) != nil)
    }

    @Test func objectsKeepOrderAndDuplicates() throws {
        let value = try parse(#"{"b":1,"a":[true,null],"b":"x","":{}}"#)
        #expect(value == .object([
            JSONMember("b", .number("1")),
            JSONMember("a", .array([.bool(true), .null])),
            JSONMember("b", .string("x")),
            JSONMember("", .object([])),
        ]))
    }

    @Test func emptyContainers() throws {
        #expect(try parse("[ ]") == .array([]))
        #expect(try parse("{ }") == .object([]))
        #expect(try parse("[[],{}]") == .array([.array([]), .object([])]))
    }

    @Test func everySimpleEscape() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
    }

    @Test func unicodeEscapes() throws {
        #expect(try parse(#""\u0041\u00e9\u00E9\u20ac\u0000""#) == .string("Aéé€\u{0}"))
        #expect(try parse(#""\ud83d\ude00 \uD834\uDD1E""#) == .string("😀 𝄞"))
        #expect(try parse(#""a\u2028b""#) == .string("a\u{2028}b"))
    }

    @Test func rawUTF8PassesThrough() throws {
        #expect(try parse("\"grüße 😀\"") == .string("grüße 😀"))
        #expect(try parse("\"x\\n grüße\"") == .string("x\n grüße"))
    }

    @Test func loneSurrogatesAreRejected() {
        #expect(error(#""\ud83d""#)?.offset == 7)
        #expect(error(#""\ud83dx""#)?.expected.contains("low surrogate") == true)
        #expect(error(#""\ud83d\u0041""#)?.offset == 7)
        #expect(error(#""ab\ude00""#)?.offset == 3)
        #expect(error(#""ab\ude00""#)?.expected.contains("high surrogate") == true)
    }

    @Test func badEscapes() {
        #expect(error(#""\x""#) == JSONSyntaxError(
            offset: 1, expected: #"one of \" \\ \/ \b \f \n \r \t \uXXXX"#, found: #"'\x"'"#
        ))
        #expect(error(#""\u12g4""#)?.expected == "4 hex digits after '\\u'")
        #expect(error(#""\u12"#)?.found == "end of input")
        #expect(error("\"abc\\")?.expected == "an escape character after '\\'")
    }

    @Test func rawControlCharactersAreRejected() {
        let tab = error("\"a\tb\"")
        #expect(tab?.offset == 2)
        #expect(tab?.found == "a raw control character U+0009")
        #expect(error("\"a\\n\nb\"")?.found == "a raw control character U+000A")
    }

    @Test func invalidUTF8IsRejected() {
        let bytes: [UInt8] = [UInt8(ascii: " "), UInt8(ascii: "\""), 0x61, 0xFF, UInt8(ascii: "\"")]
        #expect(throws: JSONSyntaxError(offset: 1, expected: "a string of valid UTF-8", found: "invalid UTF-8")) {
            try JSONReader.parse(bytes)
        }
        let escaped: [UInt8] = Array(#""\n"#.utf8) + [0xC3] + Array(#"""#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(escaped) }
    }

    @Test(arguments: [
        [0xC0, 0xAF],             // overlong '/'
        [0xE0, 0x80, 0xAF],       // overlong, three bytes
        [0xED, 0xA0, 0x80],       // UTF-16 surrogate D800
        [0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
        [0xF5, 0x80, 0x80, 0x80], // no such lead byte
        [0xE2, 0x82],             // truncated
        [0x80],                   // lone continuation byte
        [0xE2, 0x28, 0xA1],       // bad continuation
    ] as [[UInt8]])
    func malformedUTF8(_ sequence: [UInt8]) {
        let text = Array("\"ok ".utf8) + sequence + Array(" ok\"".utf8)
        #expect(throws: JSONSyntaxError(offset: 0, expected: "a string of valid UTF-8", found: "invalid UTF-8")) {
            try JSONReader.parse(text)
        }
    }

    @Test func wellFormedMultiByteUTF8() throws {
        let sequences: [[UInt8]] = [[0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
                                    [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF0, 0x9F, 0x98, 0x80]]
        for sequence in sequences {
            let expected = String(decoding: sequence, as: UTF8.self)
            #expect(try JSONReader.parse(Array("\"".utf8) + sequence + Array("\"".utf8)) == .string(expected))
        }
    }

    @Test func unterminatedThings() {
        #expect(error(#""abc"#) == JSONSyntaxError(offset: 4, expected: "'\"' to close the string", found: "end of input"))
        #expect(error(#"{"a":1"#) == JSONSyntaxError(offset: 6, expected: "',' or '}'", found: "end of input"))
        #expect(error("[1,2") == JSONSyntaxError(offset: 4, expected: "',' or ']'", found: "end of input"))
        #expect(error("") == JSONSyntaxError(offset: 0, expected: "a JSON value", found: "end of input"))
    }

    @Test func structuralErrorsNameTheOffset() {
        #expect(error(#"{"a":1,}"#) == JSONSyntaxError(offset: 7, expected: "a member name in double quotes", found: "'}'"))
        #expect(error("[1,]") == JSONSyntaxError(offset: 3, expected: "a JSON value", found: "']'"))
        #expect(error(#"{"a" 1}"#) == JSONSyntaxError(offset: 5, expected: "':'", found: "'1}'"))
        #expect(error(#"{a:1}"#)?.offset == 1)
        #expect(error("[1 2]") == JSONSyntaxError(offset: 3, expected: "',' or ']'", found: "'2]'"))
        #expect(error("nul") == JSONSyntaxError(offset: 0, expected: "a JSON value", found: "'nul'"))
        #expect(error("truex") == JSONSyntaxError(offset: 4, expected: "end of input", found: "'x'"))
        #expect(error("{} // comment") == JSONSyntaxError(offset: 3, expected: "end of input", found: "'// comment'"))
        #expect(error("'single'")?.offset == 0)
    }

    @Test func nestingLimit() throws {
        let deepest = String(repeating: "[", count: JSONReader.maximumDepth) + String(repeating: "]", count: JSONReader.maximumDepth)
        _ = try parse(deepest)
        let tooDeep = "[" + deepest + "]"
        #expect(error(tooDeep)?.offset == JSONReader.maximumDepth)
        let objects = String(repeating: #"{"a":"#, count: JSONReader.maximumDepth + 1) + "1"
            + String(repeating: "}", count: JSONReader.maximumDepth + 1)
        #expect(error(objects)?.expected == "at most 512 nested arrays and objects")
    }

    @Test func foundTextIsCutAfterTwentyBytes() {
        #expect(error("[" + String(repeating: "z", count: 50) + "]")?.found == "'" + String(repeating: "z", count: 20) + "…'")
    }
}
