import APModel

/// Reads aphotplug's JSON Lines traces (see ``JSONLinesWriter`` for the
/// format): one JSON object per line; blank lines are skipped.
///
/// Both JSON syntax and the record schema are checked: an unknown `type`, an
/// unknown or repeated member, a missing member or a value of the wrong kind
/// is a ``TraceError`` naming the line (and, for syntax errors, the column).
/// The `env` object of a uevent keeps its member order and may repeat a key,
/// as a uevent may.
public enum JSONLinesReader {
    /// Parses a whole trace.
    ///
    /// - Parameters:
    ///   - bytes: the file's content (UTF-8).
    ///   - fileName: used in error messages.
    public static func read(_ bytes: [UInt8], fileName: String) throws(TraceError) -> [TraceEntry] {
        try bytes.withUnsafeBufferPointer { (buffer) throws(TraceError) -> [TraceEntry] in
            try read(buffer, fileName: fileName, firstLine: 1)
        }
    }

    /// Parses the lines in `buffer`, whose first line is `firstLine` of the trace.
    static func read(_ buffer: UnsafeBufferPointer<UInt8>, fileName: String, firstLine: Int) throws(TraceError) -> [TraceEntry] {
        var entries: [TraceEntry] = []
        var cursor = LineCursor(buffer, firstLine: firstLine)
        while let range = cursor.next() {
            if isBlank(buffer, range) { continue }
            var parser = JSONParser(buffer: buffer, range: range, endName: "end of line")
            let value: JSONValue
            do throws(JSONSyntaxError) {
                value = try parser.parseDocument()
            } catch {
                throw TraceError(
                    fileName: fileName, line: cursor.number, column: error.offset + 1,
                    expected: error.expected, found: error.found
                )
            }
            let decoder = RecordDecoder(fileName: fileName, line: cursor.number)
            entries.append(TraceEntry(line: cursor.number, record: try decoder.record(from: value)))
        }
        return entries
    }

    private static func isBlank(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        for index in range where buffer[index] != UInt8(ascii: " ") && buffer[index] != UInt8(ascii: "\t") {
            return false
        }
        return true
    }
}

/// Turns one parsed JSON line into a ``TraceRecord``, checking the schema.
private struct RecordDecoder {
    private func describe(_ value: JSONValue) -> String { value.kindDescription }

    let fileName: String
    let line: Int

    /// The members each record type allows, `type` first.
    private static let snapshotMembers = ["type", "files", "links"]
    private static let ueventMembers = ["type", "env"]
    private static let guestMembers = ["type", "action", "mdev", "name"]
    private static let observeMembers = ["type", "path", "value"]
    private static let definitionMembers = ["type", "mdev", "config"]
    private static let apMaskRulesMembers = ["type", "rules", "unreadable"]
    private static let settledMembers = ["type"]

    func record(from value: JSONValue) throws(TraceError) -> TraceRecord {
        guard case .object(let members) = value else {
            throw failure(expected: "a JSON object (one record per line)", found: describe(value))
        }
        let fields = Fields(members: members)
        guard let typeValue = fields["type"] else {
            throw failure(expected: "a \"type\" member", found: "none")
        }
        guard case .string(let type) = typeValue else {
            throw failure(expected: "\"type\" to be a string", found: describe(typeValue))
        }
        switch type {
        case "snapshot":
            try check(fields, allowed: Self.snapshotMembers, type: type)
            return .snapshot(SysfsImage(
                files: try pathMap("files", fields),
                links: try pathMap("links", fields)
            ))
        case "uevent":
            try check(fields, allowed: Self.ueventMembers, type: type)
            let env = try required("env", fields)
            guard case .object(let properties) = env else {
                throw failure(expected: "\"env\" to be an object of strings", found: describe(env))
            }
            var event = Uevent(properties: [])
            event.properties.reserveCapacity(properties.count)
            for property in properties {
                guard case .string(let text) = property.value else {
                    throw failure(
                        expected: "a string value for \"\(property.key)\" in \"env\"", found: describe(property.value)
                    )
                }
                if property.key == "SEQNUM", Uevent.seqnum(parsing: text) == nil {
                    throw failure(expected: TraceError.seqnumExpectation, found: "'\(text.prefix(40))'")
                }
                event.properties.append(Uevent.Property(property.key, text))
            }
            return .uevent(event)
        case "guest":
            try check(fields, allowed: Self.guestMembers, type: type)
            let actionText = try string("action", fields)
            guard let action = GuestRecord.Action(rawValue: actionText) else {
                throw failure(expected: "\"action\" to be attach or detach", found: "'\(actionText)'")
            }
            let mdev = try uuid("mdev", fields)
            let name: String?
            let nameValue = fields["name"]
            switch nameValue {
            case .string(let text)?:
                name = text
            case .null?, nil:
                switch action {
                case .attach: throw failure(expected: "a \"name\" naming the guest that attached", found: "none")
                case .detach: name = nil
                }
            case .bool?, .number?, .array?, .object?:
                throw failure(expected: "\"name\" to be a string", found: describe(nameValue ?? .null))
            }
            return .guest(GuestRecord(action: action, mdev: mdev, name: name))
        case "observe":
            try check(fields, allowed: Self.observeMembers, type: type)
            let path = try string("path", fields)
            guard path.utf8.first == UInt8(ascii: "/") else {
                throw failure(expected: "\"path\" to be an absolute sysfs path (/sys/...)", found: "'\(path)'")
            }
            return .observe(path: path, value: try string("value", fields))
        case "definition":
            try check(fields, allowed: Self.definitionMembers, type: type)
            let mdev = try uuid("mdev", fields)
            switch fields["config"] {
            case .string(let text)?:
                return .definition(mdev: mdev, config: text)
            case .null?, nil:
                return .definition(mdev: mdev, config: nil)
            case let other?:
                throw failure(expected: "\"config\" to be the file's text or null", found: describe(other))
            }
        case "ap-mask-rules":
            try check(fields, allowed: Self.apMaskRulesMembers, type: type)
            switch (fields["rules"], fields["unreadable"]) {
            case (.string(let text)?, nil):
                return .apMaskRules(.text(text))
            case (.null?, nil), (nil, nil):
                return .apMaskRules(.absent)
            case (nil, .string(let reason)?):
                return .apMaskRules(.unreadable(reason: reason))
            case (let rules, let unreadable):
                throw failure(
                    expected: "\"rules\" to be the file's text or null, or \"unreadable\" to be why it could not be read",
                    found: rules != nil && unreadable != nil ? "both" : describe(rules ?? unreadable ?? .null))
            }
        case "settled":
            try check(fields, allowed: Self.settledMembers, type: type)
            return .settled
        default:
            throw failure(
                expected: "\"type\" to be snapshot, uevent, guest, observe, definition, ap-mask-rules or settled", found: "'\(type)'")
        }
    }

    /// Every member must be one of `allowed`, and appear once.
    private func check(_ fields: Fields, allowed: [String], type: String) throws(TraceError) {
        for member in fields.members where !allowed.contains(member.key) {
            let names = allowed.sorted().joined(separator: ", ")
            throw failure(expected: "only the members \(names) in a \(type) record", found: "\"\(member.key)\"")
        }
        // All keys are allowed ones now, so there are at most a handful.
        for (index, member) in fields.members.enumerated() where fields.members[..<index].contains(where: { $0.key == member.key }) {
            throw failure(expected: "each member once", found: "a second \"\(member.key)\"")
        }
    }

    private func required(_ key: String, _ fields: Fields) throws(TraceError) -> JSONValue {
        guard let value = fields[key] else { throw failure(expected: "a \"\(key)\" member", found: "none") }
        return value
    }

    private func string(_ key: String, _ fields: Fields) throws(TraceError) -> String {
        let value = try required(key, fields)
        guard case .string(let text) = value else {
            throw failure(expected: "\"\(key)\" to be a string", found: describe(value))
        }
        return text
    }

    private func uuid(_ key: String, _ fields: Fields) throws(TraceError) -> MdevUUID {
        let text = try string(key, fields)
        guard let uuid = MdevUUID(text) else {
            throw failure(expected: "\"\(key)\" to be a UUID (8-4-4-4-12 hex digits)", found: "'\(text)'")
        }
        return uuid
    }

    /// `files` or `links`: an object of string values with distinct paths.
    private func pathMap(_ key: String, _ fields: Fields) throws(TraceError) -> [String: String] {
        let value = try required(key, fields)
        guard case .object(let members) = value else {
            throw failure(expected: "\"\(key)\" to be an object of strings", found: describe(value))
        }
        var map: [String: String] = [:]
        map.reserveCapacity(members.count)
        for member in members {
            guard case .string(let text) = member.value else {
                throw failure(expected: "a string value for \"\(member.key)\" in \"\(key)\"", found: describe(member.value))
            }
            guard map.updateValue(text, forKey: member.key) == nil else {
                throw failure(expected: "each path once in \"\(key)\"", found: "'\(member.key)' twice")
            }
        }
        return map
    }

    private func failure(expected: String, found: String) -> TraceError {
        TraceError(fileName: fileName, line: line, expected: expected, found: found)
    }
}

/// A record's members, looked up by a linear scan: records have two to four.
private struct Fields {
    let members: [JSONMember]

    /// The first member named `key`.
    subscript(key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }
}
