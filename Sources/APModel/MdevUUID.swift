/// The UUID of a vfio_ap mediated device, always in lowercase as the kernel
/// names the device (`%pUl`); configuration input is compared case-insensitively.
public struct MdevUUID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The canonical lowercase `8-4-4-4-12` form.
    public let description: String

    /// Accepts the `8-4-4-4-12` hex form in any case; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return nil }
        var lowered = [UInt8]()
        lowered.reserveCapacity(36)
        for (offset, byte) in bytes.enumerated() {
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                lowered.append(byte)
            } else {
                guard HexText.value(of: byte) != nil else { return nil }
                lowered.append(byte | (byte >= UInt8(ascii: "A") ? 0x20 : 0))
            }
        }
        self.description = String(decoding: lowered, as: UTF8.self)
    }

    public static func < (lhs: MdevUUID, rhs: MdevUUID) -> Bool { lhs.description < rhs.description }
}
