/// One element of a parsed XML document: its name, its attributes and its
/// child elements. Text, comments and processing instructions are checked for
/// well-formedness by ``XMLDocumentReader`` but not kept.
struct ElementNode: Sendable {
    /// The qualified name as written, prefix included (`hostdev`, `qemu:commandline`).
    var name: String
    /// Attributes in document order, values with entity references resolved.
    var attributes: [Attribute]
    /// Child elements in document order.
    var children: [ElementNode]
    /// The byte offset of the element's `<` in the document, for error messages.
    var offset: Int

    /// One `name='value'` pair of a start tag.
    struct Attribute: Equatable, Sendable {
        var name: String
        var value: String
    }

    /// The value of the attribute `name`, or nil.
    func attribute(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    /// The child elements called `name`, in document order.
    func children(named name: String) -> [ElementNode] {
        children.filter { $0.name == name }
    }
}
