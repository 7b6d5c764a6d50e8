import Trace

/// mdevctl's JSON definitions: a definition or an MdevctlConfigError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? MdevctlConfigReader.read(text, fileName: "fuzz")
    return 0
}
