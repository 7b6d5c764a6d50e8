internal import CUdev

/// Walks a libudev list (`struct udev_list_entry *`) as Swift `(name, value)` pairs.
///
/// `udev_list_entry_foreach` is a C macro that Swift does not import; this walks
/// the list with `udev_list_entry_get_next()`, `udev_list_entry_get_name()` and
/// `udev_list_entry_get_value()`. The entries belong to the libudev object that
/// returned the list: copy them out before that object is unreferenced.
struct UdevList: Sequence {
    let first: OpaquePointer?

    struct Iterator: IteratorProtocol {
        var entry: OpaquePointer?

        mutating func next() -> (name: String, value: String?)? {
            guard let entry else { return nil }
            self.entry = udev_list_entry_get_next(entry)
            guard let name = udev_list_entry_get_name(entry) else {
                preconditionFailure("libudev returned a list entry without a name, which its list type cannot hold.")
            }
            return (String(cString: name), udev_list_entry_get_value(entry).map { String(cString: $0) })
        }
    }

    func makeIterator() -> Iterator { Iterator(entry: first) }
}
