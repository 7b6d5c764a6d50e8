/// A small, strict reader of well-formed XML 1.0 documents such as the domain
/// XML libvirt hands to its hooks.
///
/// It builds an ``ElementNode`` tree and rejects what is not well-formed:
/// invalid UTF-8, unclosed or mismatched tags, unquoted or duplicate
/// attributes, `<` in an attribute value, unknown entity references, text
/// outside the root element and truncated documents. It reads no DTD: a
/// `<!DOCTYPE` is refused, so no entity can expand. Namespaces are not
/// resolved; a prefixed name such as `qemu:commandline` is simply another name.
///
/// Elements may nest ``maximumDepth`` levels deep, far more than libvirt
/// writes, so that neither reading nor freeing a tree can exhaust the stack.
///
/// Reading takes time linear in the document's size: every byte is looked at
/// a bounded number of times, and duplicate attributes are found through a set
/// once a start tag has more than ``linearScanLimit`` of them (a guest start
/// waits on the hook, and 100,000 attributes on one element must not take
/// 10^10 name comparisons). ``work`` counts the comparisons, so that tests can
/// check the bound without timing anything.
struct XMLDocumentReader {
    /// The deepest nesting accepted; the root element is level 1.
    static let maximumDepth = 256
    /// Up to this many attributes, a duplicate is found by comparing names one by one.
    static let linearScanLimit = 8

    private let bytes: [UInt8]
    private var index = 0
    /// Attribute name comparisons and set look-ups made so far.
    private(set) var work = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The root element of `bytes`.
    static func parse(_ bytes: [UInt8]) throws(XMLSyntaxError) -> ElementNode {
        var work = 0
        return try parse(bytes, work: &work)
    }

    /// The root element of `bytes`; `work` grows by the duplicate checks made.
    static func parse(_ bytes: [UInt8], work: inout Int) throws(XMLSyntaxError) -> ElementNode {
        var reader = XMLDocumentReader(bytes: bytes)
        defer { work += reader.work }
        return try reader.document()
    }

    // MARK: Document structure

    private mutating func document() throws(XMLSyntaxError) -> ElementNode {
        if let offset = Self.firstInvalidUTF8(in: bytes) {
            throw error("the document is not valid UTF-8", at: offset)
        }
        if has(Literal.byteOrderMark) { index += Literal.byteOrderMark.count }
        try skipMiscellany()
        guard index < bytes.count else { throw error("the document is empty: there is no root element") }
        if has(Literal.doctype) { throw error("a <!DOCTYPE> declaration is not supported") }
        guard bytes[index] == UInt8(ascii: "<") else {
            throw error("text before the root element, found \(describeCurrentByte())")
        }
        let root = try rootElement()
        try skipMiscellany()
        guard index == bytes.count else {
            throw error("content after the end of the root element <\(root.name)>, found \(describeCurrentByte())")
        }
        return root
    }

    /// Skips the whitespace, comments and processing instructions allowed
    /// before and after the root element.
    private mutating func skipMiscellany() throws(XMLSyntaxError) {
        while true {
            skipWhitespace()
            if has(Literal.processingInstruction) {
                try skip(Literal.processingInstruction, through: Literal.processingInstructionEnd, inside: "a processing instruction")
            } else if has(Literal.comment) {
                try skip(Literal.comment, through: Literal.commentEnd, inside: "a comment")
            } else {
                return
            }
        }
    }

    /// Reads from the `<` of the root start tag to the end of its end tag.
    private mutating func rootElement() throws(XMLSyntaxError) -> ElementNode {
        var open: [ElementNode] = []
        while true {
            let (node, isEmptyElement) = try startTag()
            guard open.count < Self.maximumDepth else {
                throw error("elements nest deeper than \(Self.maximumDepth) levels", at: node.offset)
            }
            if isEmptyElement {
                guard !open.isEmpty else { return node }
                open[open.count - 1].children.append(node)
            } else {
                open.append(node)
            }
            // Content of the innermost open element, up to the next start tag.
            while true {
                try skipCharacterData(inside: open[open.count - 1])
                if has(Literal.endTag) {
                    let node = open.removeLast()
                    try endTag(closing: node)
                    guard !open.isEmpty else { return node }
                    open[open.count - 1].children.append(node)
                } else if has(Literal.comment) {
                    try skip(Literal.comment, through: Literal.commentEnd, inside: "a comment")
                } else if has(Literal.cdata) {
                    try skip(Literal.cdata, through: Literal.cdataEnd, inside: "a CDATA section")
                } else if has(Literal.processingInstruction) {
                    try skip(Literal.processingInstruction, through: Literal.processingInstructionEnd, inside: "a processing instruction")
                } else if has(Literal.declaration) {
                    throw error("unexpected markup declaration inside <\(open[open.count - 1].name)>")
                } else {
                    break
                }
            }
        }
    }

    /// Reads a start tag or empty-element tag at `<`.
    private mutating func startTag() throws(XMLSyntaxError) -> (ElementNode, isEmptyElement: Bool) {
        let start = index
        index += 1
        let name = try readName(what: "an element name")
        var node = ElementNode(name: name, attributes: [], children: [], offset: start)
        var names: Set<String> = []
        while true {
            let hadWhitespace = skipWhitespace()
            guard index < bytes.count else { throw error("the document ends inside the start tag <\(name)>") }
            if bytes[index] == UInt8(ascii: ">") {
                index += 1
                return (node, false)
            }
            if has(Literal.emptyElementEnd) {
                index += Literal.emptyElementEnd.count
                return (node, true)
            }
            guard hadWhitespace else {
                throw error("expected whitespace, '>' or '/>' in the start tag <\(name)>, found \(describeCurrentByte())")
            }
            let attributeStart = index
            let attributeName = try readName(what: "an attribute name")
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                throw error("expected '=' after the attribute name '\(attributeName)' in <\(name)>")
            }
            index += 1
            skipWhitespace()
            let value = try attributeValue(of: attributeName)
            if isDuplicate(attributeName, in: node, names: &names) {
                throw error("the attribute '\(attributeName)' appears twice in <\(name)>", at: attributeStart)
            }
            node.attributes.append(.init(name: attributeName, value: value))
        }
    }

    /// Whether `node` already has an attribute `name`: a scan of the first few,
    /// then a set of every name (filled once, when the scan limit is passed).
    private mutating func isDuplicate(_ name: String, in node: ElementNode, names: inout Set<String>) -> Bool {
        if node.attributes.count < Self.linearScanLimit {
            work += node.attributes.count
            return node.attributes.contains { $0.name == name }
        }
        if names.isEmpty {
            work += node.attributes.count
            names = Set(node.attributes.map(\.name))
        }
        work += 1
        return !names.insert(name).inserted
    }

    /// Reads an end tag at `</` and checks that it closes `node`.
    private mutating func endTag(closing node: ElementNode) throws(XMLSyntaxError) {
        let start = index
        index += Literal.endTag.count
        let name = try readName(what: "an element name")
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ">") else {
            throw error("expected '>' to end the end tag </\(name)>")
        }
        index += 1
        guard name == node.name else {
            let opened = TextPosition(offset: node.offset, in: bytes)
            throw error("</\(name)> does not close <\(node.name)>, opened at line \(opened.line)", at: start)
        }
    }

    // MARK: Tokens

    /// Reads a quoted attribute value at its opening quote, resolving references
    /// and normalizing tab, carriage return and newline to spaces.
    private mutating func attributeValue(of attribute: String) throws(XMLSyntaxError) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "'") || bytes[index] == UInt8(ascii: "\"") else {
            throw error("the value of the attribute '\(attribute)' must be in single or double quotes")
        }
        let quote = bytes[index]
        index += 1
        var value: [UInt8] = []
        while index < bytes.count, bytes[index] != quote {
            switch bytes[index] {
            case UInt8(ascii: "<"):
                throw error("'<' is not allowed in the value of the attribute '\(attribute)'")
            case UInt8(ascii: "&"):
                let scalar = try reference()
                value.append(contentsOf: String(Character(scalar)).utf8)
            case UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                value.append(UInt8(ascii: " "))
                index += 1
            default:
                value.append(bytes[index])
                index += 1
            }
        }
        guard index < bytes.count else { throw error("the document ends inside the value of the attribute '\(attribute)'") }
        index += 1
        return String(decoding: value, as: UTF8.self)
    }

    /// Reads an entity or character reference at `&` and returns its character.
    private mutating func reference() throws(XMLSyntaxError) -> Unicode.Scalar {
        let start = index
        guard let semicolon = bytes[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
            throw error("'&' must start a reference such as '&amp;' and end with ';'")
        }
        let body = String(decoding: bytes[(index + 1)..<semicolon], as: UTF8.self)
        index = semicolon + 1
        switch body {
        case "lt": return "<"
        case "gt": return ">"
        case "amp": return "&"
        case "apos": return "'"
        case "quot": return "\""
        default:
            let number: UInt32? =
                if body.hasPrefix("#x") { UInt32(body.dropFirst(2), radix: 16) }
                else if body.hasPrefix("#") { UInt32(body.dropFirst(), radix: 10) }
                else { nil }
            guard let number else { throw error("unknown entity reference '&\(body);'", at: start) }
            guard number != 0, let scalar = Unicode.Scalar(number) else {
                throw error("the character reference '&\(body);' names no allowed character", at: start)
            }
            return scalar
        }
    }

    /// Reads an XML name: a letter, `_`, `:` or non-ASCII byte, then those,
    /// digits, `-` and `.`.
    private mutating func readName(what: String) throws(XMLSyntaxError) -> String {
        guard index < bytes.count else { throw error("the document ends where \(what) was expected") }
        guard Self.isNameStart(bytes[index]) else { throw error("expected \(what), found \(describeCurrentByte())") }
        let start = index
        while index < bytes.count, Self.isNameStart(bytes[index]) || Self.isNameContinuation(bytes[index]) {
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Skips text up to the next `<`, checking its references.
    private mutating func skipCharacterData(inside node: ElementNode) throws(XMLSyntaxError) {
        while index < bytes.count, bytes[index] != UInt8(ascii: "<") {
            if bytes[index] == UInt8(ascii: "&") {
                _ = try reference()
            } else {
                index += 1
            }
        }
        guard index < bytes.count else {
            let opened = TextPosition(offset: node.offset, in: bytes)
            throw error("the document ends inside <\(node.name)>, opened at line \(opened.line): it is truncated")
        }
    }

    /// Skips a construct that starts with `opener` at the current index and
    /// ends with the first `terminator` after it.
    private mutating func skip(_ opener: [UInt8], through terminator: [UInt8], inside construct: String) throws(XMLSyntaxError) {
        var probe = index + opener.count
        while probe + terminator.count <= bytes.count {
            if bytes[probe..<(probe + terminator.count)].elementsEqual(terminator) {
                index = probe + terminator.count
                return
            }
            probe += 1
        }
        throw error("the document ends inside \(construct)")
    }

    /// Skips spaces, tabs, carriage returns and newlines; true if there were any.
    @discardableResult
    private mutating func skipWhitespace() -> Bool {
        let start = index
        while index < bytes.count, Self.isWhitespace(bytes[index]) { index += 1 }
        return index > start
    }

    // MARK: Helpers

    private func has(_ literal: [UInt8]) -> Bool {
        index + literal.count <= bytes.count && bytes[index..<(index + literal.count)].elementsEqual(literal)
    }

    private func describeCurrentByte() -> String {
        let byte = bytes[index]
        return (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private func error(_ message: String, at offset: Int? = nil) -> XMLSyntaxError {
        XMLSyntaxError(message, at: offset ?? index, in: bytes)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "_"), UInt8(ascii: ":"), 0x80...0xFF:
            true
        default:
            false
        }
    }

    private static func isNameContinuation(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }

    /// The offset of the first byte that is not part of a valid UTF-8 sequence.
    private static func firstInvalidUTF8(in bytes: [UInt8]) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// The fixed byte sequences of XML markup.
    private enum Literal {
        static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
        static let processingInstruction = Array("<?".utf8)
        static let processingInstructionEnd = Array("?>".utf8)
        static let comment = Array("<!--".utf8)
        static let commentEnd = Array("-->".utf8)
        static let cdata = Array("<![CDATA[".utf8)
        static let cdataEnd = Array("]]>".utf8)
        static let doctype = Array("<!DOCTYPE".utf8)
        static let declaration = Array("<!".utf8)
        static let endTag = Array("</".utf8)
        static let emptyElementEnd = Array("/>".utf8)
    }
}
