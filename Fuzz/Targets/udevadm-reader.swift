import Trace

/// `udevadm monitor --property` text: any bytes give entries or a TraceError, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? UdevadmMonitorReader.read(bytes, fileName: "fuzz.txt")
    return 0
}
