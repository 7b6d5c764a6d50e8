extension APMask {
    /// The mask that results from writing `text` to a mask attribute whose
    /// current value is `self`, as `apmask_store`/`aqmask_store` compute it.
    ///
    /// Text starting with `+` or `-` is the relative form: terms `±N` or
    /// `±N-M` separated by runs of `,` or newlines, numbers with C base
    /// detection (`0x` hex, leading `0` octal, else decimal), applied in
    /// order so later terms win. Anything else is the absolute hex form
    /// (``init(sysfsHex:)``). All or nothing: one bad term and nothing changes.
    ///
    /// `+0-15,+32,-128,-0xFF` on an empty mask gives {0…15, 32}.
    public func applyingWrite(_ text: String) throws(APMaskParseError) -> APMask {
        guard let first = text.utf8.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") else {
            return try APMask(sysfsHex: text)
        }
        var result = self
        for term in text.split(whereSeparator: { $0 == "," || $0 == "\n" }) {
            let adding = term.first == "+"
            guard adding || term.first == "-" else { throw .badTerm(String(term)) }
            let range = try Self.parseRange(term.dropFirst(), term: term)
            for id in range {
                if adding { result.insert(id) } else { result.remove(id) }
            }
        }
        return result
    }

    /// Parses the list form people type and chzdev accepts: comma-separated
    /// ids and inclusive ranges with C numbers, e.g. `1,5-7,0xab`. The empty
    /// string is the empty mask.
    public init(listText text: String) throws(APMaskParseError) {
        self.init()
        let trimmed = text.hasSuffix("\n") ? text.dropLast() : Substring(text)
        for term in trimmed.split(separator: ",", omittingEmptySubsequences: false) where !(trimmed.isEmpty) {
            for id in try Self.parseRange(term, term: term) { insert(id) }
        }
    }

    /// The ids as a compact list with ranges, decimal: `1,5-7,171`; empty
    /// string for the empty mask. Reads back with ``init(listText:)``.
    public var listText: String {
        var parts: [String] = []
        var runStart: Int?
        var previous = -2
        func close() {
            guard let start = runStart else { return }
            parts.append(start == previous ? "\(start)" : "\(start)-\(previous)")
        }
        for id in self {
            let value = Int(id)
            if value != previous + 1 {
                close()
                runStart = value
            }
            previous = value
        }
        close()
        return parts.joined(separator: ",")
    }

    /// `N` or `N-M` with C numbers, N ≤ M ≤ 255.
    private static func parseRange(_ body: Substring, term: Substring) throws(APMaskParseError) -> ClosedRange<UInt8> {
        // A range dash cannot be the first character (that would be a sign).
        let dash = body.dropFirst().firstIndex(of: "-")
        let lowText = dash.map { body[body.startIndex..<$0] } ?? body
        guard let low = HexText.parseCNumber(lowText) else { throw .badTerm(String(term)) }
        var high = low
        if let dash {
            guard let value = HexText.parseCNumber(body[body.index(after: dash)...]) else {
                throw .badTerm(String(term))
            }
            high = value
        }
        guard low <= high, high <= 255 else { throw .outOfRange(String(term)) }
        return UInt8(low)...UInt8(high)
    }
}
