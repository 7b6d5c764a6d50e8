import APModel

/// The engine's mdevs, kept in UUID order in a flat array: decisions come out
/// in UUID order, and the per-event path walks a few records without hashing
/// 36-character UUIDs. Hosts have tens of mdevs, so lookups by UUID are linear.
struct MdevTable {
    private(set) var records: [MdevRecord] = []

    /// The UUIDs, ascending.
    var order: [MdevUUID] { records.map(\.uuid) }

    var isEmpty: Bool { records.isEmpty }

    /// The record of `uuid`; assigning nil removes it, assigning a record
    /// inserts it in order or replaces the existing one.
    subscript(uuid: MdevUUID) -> MdevRecord? {
        get { records.first { $0.uuid == uuid } }
        set {
            let index = records.firstIndex { $0.uuid >= uuid } ?? records.endIndex
            let exists = index < records.endIndex && records[index].uuid == uuid
            switch (newValue, exists) {
            case (nil, true): records.remove(at: index)
            case (nil, false): break
            case (let record?, true): records[index] = record
            case (let record?, false): records.insert(record, at: index)
            }
        }
    }

    /// The record of an mdev the engine has just found in, or put into, the
    /// table, changed in place. A missing one is a broken invariant of the
    /// engine, never bad input: the trap names the mdev.
    subscript(known uuid: MdevUUID) -> MdevRecord {
        get { records[index(of: uuid)] }
        _modify { yield &records[index(of: uuid)] }
    }

    private func index(of uuid: MdevUUID) -> Int {
        guard let index = records.firstIndex(where: { $0.uuid == uuid }) else {
            preconditionFailure("engine invariant broken: mdev \(uuid) is not in the mdev table")
        }
        return index
    }

    /// Replaces the record at a position of ``records`` (the per-event path).
    mutating func replace(at index: Int, with record: MdevRecord) { records[index] = record }

    /// A value per mdev, keyed by UUID (for comparisons in tests and resyncs).
    func mapValues<T>(_ transform: (MdevRecord) -> T) -> [MdevUUID: T] {
        Dictionary(uniqueKeysWithValues: records.map { ($0.uuid, transform($0)) })
    }
}
