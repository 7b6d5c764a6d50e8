import Agent

/// Control-socket datagrams: a guest or uevent message or nil; a message decoded
/// encodes to a text that decodes to the same message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let message = ControlMessage(parsing: text) else { return 0 }
    guard ControlMessage(parsing: message.text) == message else {
        preconditionFailure("a control message does not survive encoding: \(message.text)")
    }
    return 0
}
