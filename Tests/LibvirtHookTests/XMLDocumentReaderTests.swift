import Testing

@testable import LibvirtHook

@Suite("XMLDocumentReader: well-formedness")
struct XMLDocumentReaderTests {
    /// A document that is not well-formed, and the error the reader must give.
    struct Malformed: CustomTestStringConvertible, Sendable {
        var xml: String
        var error: String
        var testDescription: String { error }
    }

    static let malformed: [Malformed] = [
        .init(xml: "", error: "line 1, column 1: the document is empty: there is no root element"),
        .init(xml: "  \n <!-- only a comment -->\n", error: "line 3, column 1: the document is empty: there is no root element"),
        .init(xml: "domain", error: "line 1, column 1: text before the root element, found 'd'"),
        .init(xml: "<a></a><b/>", error: "line 1, column 8: content after the end of the root element <a>, found '<'"),
        .init(xml: "<a></a>text", error: "line 1, column 8: content after the end of the root element <a>, found 't'"),
        .init(xml: "<a><b></a>", error: "line 1, column 7: </a> does not close <b>, opened at line 1"),
        .init(xml: "<a>\n<b>", error: "line 2, column 4: the document ends inside <b>, opened at line 2: it is truncated"),
        .init(xml: "<a x='1", error: "line 1, column 8: the document ends inside the value of the attribute 'x'"),
        .init(xml: "<a x", error: "line 1, column 5: expected '=' after the attribute name 'x' in <a>"),
        .init(xml: "<a x=1/>", error: "line 1, column 6: the value of the attribute 'x' must be in single or double quotes"),
        .init(xml: "<a x='1'y='2'/>", error: "line 1, column 9: expected whitespace, '>' or '/>' in the start tag <a>, found 'y'"),
        .init(xml: "<a x='1' x='2'/>", error: "line 1, column 10: the attribute 'x' appears twice in <a>"),
        .init(xml: "<a x='<'/>", error: "line 1, column 7: '<' is not allowed in the value of the attribute 'x'"),
        .init(xml: "<a x='&nbsp;'/>", error: "line 1, column 7: unknown entity reference '&nbsp;'"),
        .init(xml: "<a>&#0;</a>", error: "line 1, column 4: the character reference '&#0;' names no allowed character"),
        .init(xml: "<a>&#xD800;</a>", error: "line 1, column 4: the character reference '&#xD800;' names no allowed character"),
        .init(xml: "<a>AT&T</a>", error: "line 1, column 6: '&' must start a reference such as '&amp;' and end with ';'"),
        .init(xml: "<1a/>", error: "line 1, column 2: expected an element name, found '1'"),
        .init(xml: "< a/>", error: "line 1, column 2: expected an element name, found byte 0x20"),
        .init(xml: "<a></ a>", error: "line 1, column 6: expected an element name, found byte 0x20"),
        .init(xml: "<a></a", error: "line 1, column 7: expected '>' to end the end tag </a>"),
        .init(xml: "<a><!-- open", error: "line 1, column 4: the document ends inside a comment"),
        .init(xml: "<a><![CDATA[ open", error: "line 1, column 4: the document ends inside a CDATA section"),
        .init(xml: "<a><!ELEMENT a ANY></a>", error: "line 1, column 4: unexpected markup declaration inside <a>"),
        .init(xml: "<!DOCTYPE a [<!ENTITY x 'y'>]><a/>", error: "line 1, column 1: a <!DOCTYPE> declaration is not supported"),
        .init(xml: "<?xml version='1.0'", error: "line 1, column 1: the document ends inside a processing instruction"),
        .init(xml: "<a", error: "line 1, column 3: the document ends inside the start tag <a>"),
    ]

    @Test("malformed documents fail with position and reason", arguments: malformed)
    func rejects(_ sample: Malformed) throws {
        let error = try #require(throws: XMLSyntaxError.self) { try XMLDocumentReader.parse(Array(sample.xml.utf8)) }
        #expect(error.description == sample.error)
    }

    @Test("invalid UTF-8 is refused at its first bad byte")
    func invalidUTF8() throws {
        let bytes = Array("<a>\n caf".utf8) + [0xC3, 0x28] + Array("</a>".utf8)
        let error = try #require(throws: XMLSyntaxError.self) { try XMLDocumentReader.parse(bytes) }
        #expect(error.description == "line 2, column 5: the document is not valid UTF-8")
    }

    @Test("references in attribute values are resolved; whitespace characters become spaces")
    func attributeValues() throws {
        let root = try XMLDocumentReader.parse(Array("<a x='&lt;&gt;&amp;&apos;&quot;&#65;&#x42;' y=\"a\tb\nc\" z='\"' w=\"'\"/>".utf8))
        #expect(root.attribute("x") == "<>&'\"AB")
        #expect(root.attribute("y") == "a b c")
        #expect(root.attribute("z") == "\"")
        #expect(root.attribute("w") == "'")
    }

    @Test("the tree keeps elements in order and drops text, comments, CDATA and processing instructions")
    func tree() throws {
        let xml = "\u{FEFF}<?xml version='1.0'?><!-- c --><r>t<a/><!-- c --><b k='v'>&amp;<![CDATA[<x/>]]><?pi x?><c/></b></r><?tail?>"
        let root = try XMLDocumentReader.parse(Array(xml.utf8))
        #expect(root.name == "r")
        #expect(root.children.map(\.name) == ["a", "b"])
        #expect(root.children[1].attributes == [.init(name: "k", value: "v")])
        #expect(root.children[1].children.map(\.name) == ["c"])
        #expect(root.children[1].offset == 52)
    }

    @Test("prefixed names are kept as written")
    func prefixedNames() throws {
        let root = try XMLDocumentReader.parse(Array("<d xmlns:q='urn:q'><q:arg q:value='1'/></d>".utf8))
        #expect(root.children.map(\.name) == ["q:arg"])
        #expect(root.children[0].attribute("q:value") == "1")
    }

    @Test("nesting is accepted up to the limit and refused beyond it")
    func nestingLimit() throws {
        func nested(_ depth: Int) -> [UInt8] {
            Array((String(repeating: "<e>", count: depth) + String(repeating: "</e>", count: depth)).utf8)
        }
        var node = try XMLDocumentReader.parse(nested(XMLDocumentReader.maximumDepth))
        var levels = 1
        while let child = node.children.first {
            node = child
            levels += 1
        }
        #expect(levels == XMLDocumentReader.maximumDepth)
        let error = try #require(throws: XMLSyntaxError.self) {
            try XMLDocumentReader.parse(nested(XMLDocumentReader.maximumDepth + 1))
        }
        #expect(error.description == "line 1, column 769: elements nest deeper than 256 levels")
        let leaf = String(repeating: "<e>", count: 256) + "<leaf/>" + String(repeating: "</e>", count: 256)
        #expect(throws: XMLSyntaxError.self) { try XMLDocumentReader.parse(Array(leaf.utf8)) }
    }
}
