extension APMask {
    /// The mask's four 64-bit words, ids 0–63 first with id 0 in the top bit of
    /// the first word (the kernel's bit order): the exact bits, for compact
    /// binary encodings such as the engine's persisted state.
    public var words: (UInt64, UInt64, UInt64, UInt64) { (w0, w1, w2, w3) }

    /// The mask whose ``words`` are `words`.
    public init(words: (UInt64, UInt64, UInt64, UInt64)) {
        self.init(words: words.0, words.1, words.2, words.3)
    }
}
