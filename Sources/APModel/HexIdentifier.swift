/// An AP identifier whose text form is fixed-width lowercase hex, as the kernel
/// prints it: `%02x` adapters, `%04x` domains, `%02x.%04x` APQNs.
///
/// Writing the text into a byte buffer allocates nothing, which matters where
/// one decision lists the thousands of APQNs of a big guest.
public protocol HexIdentifier: CustomStringConvertible {
    /// Appends the text form (`05`, `00ab`, `05.00ab`) to `bytes`.
    func appendText(to bytes: inout [UInt8])
}

extension HexIdentifier {
    /// The text form (`05`, `00ab`, `05.00ab`).
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
