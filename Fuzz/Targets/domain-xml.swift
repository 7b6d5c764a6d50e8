import LibvirtHook

/// libvirt domain XML, as the hook reads it from standard input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? DomainXML.vfioAPMdevs(in: bytes)
    return 0
}
