import Trace

/// chzdev's udev rule 41-ap.rules: the persistent masks or an APMaskRulesError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? APMaskRulesReader.read(text, fileName: "fuzz")
    return 0
}
