/// Writes one snapshot record (`{"type":"snapshot","files":{…},"links":{…}}`)
/// piece by piece as a tree is read, so the image of a full-scale host (some
/// 300,000 files and 66,000 links) is never in memory whole: `aphotplug
/// record` writes its snapshots this way. Files go to `emit` as they are read,
/// in that order; links, whose object follows, go to `spill` (a temporary
/// file, say) and are asked back through `unspill` at the end. ``JSONLinesReader``
/// reads the line like any snapshot record; only the order of the members
/// differs from ``JSONLinesWriter``'s (sorted by path).
public struct SnapshotLineWriter {
    private var buffer: [UInt8]
    private var spilled: [UInt8] = []
    private var firstFile = true
    private var firstLink = true
    private let emit: ([UInt8]) -> Void
    private let spill: ([UInt8]) -> Void
    /// Bytes handed out at a time.
    static let chunk = 1 << 16

    /// - Parameters:
    ///   - emit: receives the line's bytes in order, in chunks.
    ///   - spill: receives the link members (`"path":"target"`, comma separated), in chunks.
    public init(emit: @escaping ([UInt8]) -> Void, spill: @escaping ([UInt8]) -> Void) {
        self.emit = emit
        self.spill = spill
        buffer = Array(#"{"type":"snapshot","files":{"#.utf8)
        buffer.reserveCapacity(Self.chunk + 4096)
    }

    public mutating func file(_ path: String, _ value: String) {
        if !firstFile { buffer.append(UInt8(ascii: ",")) }
        firstFile = false
        JSONText.appendKey(path, to: &buffer)
        JSONText.appendString(value, to: &buffer)
        if buffer.count >= Self.chunk { flush() }
    }

    public mutating func link(_ path: String, _ target: String) {
        if !firstLink { spilled.append(UInt8(ascii: ",")) }
        firstLink = false
        JSONText.appendKey(path, to: &spilled)
        JSONText.appendString(target, to: &spilled)
        if spilled.count >= Self.chunk {
            spill(spilled)
            spilled.removeAll(keepingCapacity: true)
        }
    }

    /// Ends the line: `unspill` must hand everything spilled back to `emit`, in order.
    public mutating func finish(unspill: () -> Void) {
        if !spilled.isEmpty {
            spill(spilled)
            spilled.removeAll()
        }
        buffer.append(contentsOf: #"},"links":{"#.utf8)
        flush()
        unspill()
        emit(Array("}}\n".utf8))
    }

    private mutating func flush() {
        emit(buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
