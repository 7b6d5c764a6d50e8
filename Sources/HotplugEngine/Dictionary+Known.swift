extension Dictionary {
    /// The value for a key the engine has just found in, or put into, this
    /// table. A missing key is a broken invariant of the engine, never bad
    /// input; the trap names the table and the key instead of a bare
    /// "unexpectedly found nil".
    subscript(known key: Key) -> Value {
        get {
            guard let value = self[key] else { Self.missing(key) }
            return value
        }
        _modify {
            if self[key] == nil { Self.missing(key) }
            yield &self[key]!
        }
    }

    private static func missing(_ key: Key) -> Never {
        preconditionFailure("engine invariant broken: no \(Value.self) for \(key) in the table")
    }
}
