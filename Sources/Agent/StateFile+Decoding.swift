import APModel
import HotplugEngine
import Trace

extension StateFile {
    /// Reads a state file's bytes back (``JSONReader``, then the schema).
    ///
    /// Only what ``write(_:counters:in:)`` writes is accepted: every member once and
    /// none unknown, `uevents` and `rescans` together or not at all, mdevs keyed by
    /// distinct UUIDs, adapters as 2 and domains as 4 lowercase hex digits in
    /// ascending order. Anything else is a ``StateFileError``, never a guess.
    public static func decode(_ bytes: [UInt8]) throws(StateFileError) -> Content {
        let value: JSONValue
        do throws(JSONSyntaxError) {
            value = try JSONReader.parse(bytes)
        } catch {
            throw StateFileError(place: "byte \(error.offset)", expected: error.expected, found: error.found)
        }
        return try StateFileDecoder.content(from: value)
    }
}

/// The state file's schema over a parsed ``JSONValue``.
private enum StateFileDecoder {
    static func content(from value: JSONValue) throws(StateFileError) -> StateFile.Content {
        let file = try Members(value, at: "the file", allowed: ["updated", "uevents", "rescans", "state"])
        let updated = try file.string("updated")
        let counters: StateFile.Counters?
        switch (file["uevents"], file["rescans"]) {
        case (nil, nil):
            counters = nil
        case (.some, .some):
            counters = StateFile.Counters(uevents: try file.count("uevents"), rescans: try file.count("rescans"))
        case (.some, nil), (nil, .some):
            throw StateFileError(place: "the file", expected: "both uevents and rescans, or neither", found: "one of them")
        }
        let state = try Members(try file.required("state"), at: "state", allowed: ["mdevs"])
        let mdevsValue = try state.required("mdevs")
        guard case .object(let entries) = mdevsValue else {
            throw StateFileError(place: "state.mdevs", expected: "an object", found: describe(mdevsValue))
        }
        var mdevs: [FinalState.Mdev] = []
        mdevs.reserveCapacity(entries.count)
        var seen = Set<MdevUUID>()
        for entry in entries {
            guard let uuid = MdevUUID(entry.key) else {
                throw StateFileError(
                    place: "state.mdevs", expected: "mdev UUIDs (8-4-4-4-12 hex digits) as keys", found: quoted(entry.key))
            }
            guard seen.insert(uuid).inserted else {
                throw StateFileError(place: "state.mdevs", expected: "each mdev once", found: "a second \(uuid)")
            }
            mdevs.append(try mdev(uuid, from: entry.value))
        }
        return StateFile.Content(updated: updated, counters: counters, state: FinalState(mdevs: mdevs))
    }

    private static func mdev(_ uuid: MdevUUID, from value: JSONValue) throws(StateFileError) -> FinalState.Mdev {
        let place = "state.mdevs.\(uuid)"
        let fields = try Members(value, at: place, allowed: ["guest", "assigned", "shadow", "blocker"])
        let guest: String?
        let guestValue = try fields.required("guest")
        switch guestValue {
        case .string(let name): guest = name
        case .null: guest = nil
        case .bool, .number, .array, .object:
            throw StateFileError(place: place + ".guest", expected: "a string or null", found: describe(guestValue))
        }
        let blockerValue = try fields.required("blocker")
        guard case .bool(let blocker) = blockerValue else {
            throw StateFileError(place: place + ".blocker", expected: "true or false", found: describe(blockerValue))
        }
        return FinalState.Mdev(
            uuid: uuid, guest: guest,
            assigned: try matrix(try fields.required("assigned"), at: place + ".assigned"),
            shadow: try matrix(try fields.required("shadow"), at: place + ".shadow"),
            blocksMigration: blocker)
    }

    private static func matrix(_ value: JSONValue, at place: String) throws(StateFileError) -> APMatrix {
        let fields = try Members(value, at: place, allowed: ["adapters", "domains", "control_domains"])
        return APMatrix(
            adapters: try mask(try fields.required("adapters"), digits: 2, at: place + ".adapters"),
            domains: try mask(try fields.required("domains"), digits: 4, at: place + ".domains"),
            controlDomains: try mask(try fields.required("control_domains"), digits: 4, at: place + ".control_domains"))
    }

    /// An array of identifiers 00-ff as exactly `digits` lowercase hex digits, ascending.
    private static func mask(_ value: JSONValue, digits: Int, at place: String) throws(StateFileError) -> APMask {
        guard case .array(let elements) = value else {
            throw StateFileError(place: place, expected: "an array of strings", found: describe(value))
        }
        var mask = APMask()
        var previous: Int?
        for element in elements {
            let expected = "identifiers of \(digits) lowercase hex digits (00-ff), ascending, each once"
            guard case .string(let text) = element, let id = identifier(text, digits: digits) else {
                throw StateFileError(place: place, expected: expected, found: describe(element))
            }
            guard previous.map({ $0 < id }) ?? true else {
                throw StateFileError(place: place, expected: expected, found: describe(element) + " after a larger or equal one")
            }
            previous = id
            mask.insert(UInt8(id))
        }
        return mask
    }

    /// `text` as `digits` lowercase hex digits with a value of at most 0xff.
    private static func identifier(_ text: String, digits: Int) -> Int? {
        HexText.parsePrinted(text, width: digits).flatMap { $0 <= 0xff ? $0 : nil }
    }

    /// A value in plain words, strings cut to 40 characters: the file may hold anything.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "the string " + quoted(text)
        case .number(let text): return "the number " + String(text.prefix(40))
        case .null, .bool, .array, .object: return value.kindDescription
        }
    }

    static func quoted(_ text: String) -> String {
        "'" + text.prefix(40) + (text.count > 40 ? "…" : "") + "'"
    }
}

/// An object's members, each allowed and once, looked up by a linear scan: objects here have at most four.
private struct Members {
    let members: [JSONMember]
    let place: String

    init(_ value: JSONValue, at place: String, allowed: [String]) throws(StateFileError) {
        guard case .object(let members) = value else {
            throw StateFileError(place: place, expected: "an object", found: StateFileDecoder.describe(value))
        }
        for member in members where !allowed.contains(member.key) {
            throw StateFileError(
                place: place, expected: "only the members " + allowed.joined(separator: ", "),
                found: StateFileDecoder.quoted(member.key))
        }
        // All keys are allowed ones now, so there are at most four.
        for (index, member) in members.enumerated() where members[..<index].contains(where: { $0.key == member.key }) {
            throw StateFileError(place: place, expected: "each member once", found: "a second \"\(member.key)\"")
        }
        self.members = members
        self.place = place
    }

    /// The member named `key`, if any.
    subscript(key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }

    func required(_ key: String) throws(StateFileError) -> JSONValue {
        guard let value = self[key] else {
            throw StateFileError(place: place, expected: "a member \(key)", found: "none")
        }
        return value
    }

    func string(_ key: String) throws(StateFileError) -> String {
        let value = try required(key)
        guard case .string(let text) = value else {
            throw StateFileError(place: key, expected: "a string", found: StateFileDecoder.describe(value))
        }
        return text
    }

    /// A count: a non-negative integer literal that fits an `Int`.
    func count(_ key: String) throws(StateFileError) -> Int {
        let value = try required(key)
        guard case .number(let text) = value, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let count = Int(text) else {
            throw StateFileError(place: key, expected: "a non-negative integer", found: StateFileDecoder.describe(value))
        }
        return count
    }
}
