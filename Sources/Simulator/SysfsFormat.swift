import APModel

/// Attribute texts in the kernel's exact formats (kernel-ap.md §3).
enum SysfsFormat {
    /// `ap_adapter_mask` & co.: `0x` + 8×`%08x` + `\n`, which is the same 64
    /// lowercase digits as `apmask`.
    static func qciMask(_ mask: APMask) -> String { mask.sysfsHex + "\n" }

    /// `%d\n`.
    static func decimal(_ value: some BinaryInteger) -> String { "\(value)\n" }

    /// `0/1\n`.
    static func flag(_ value: Bool) -> String { value ? "1\n" : "0\n" }

    /// `bindings`: `%u/%u\n`, with ` (complete)` after at least one scan when all are bound.
    static func bindings(bound: Int, total: Int, scans: UInt64) -> String {
        scans >= 1 && bound == total ? "\(bound)/\(total) (complete)\n" : "\(bound)/\(total)\n"
    }
}
