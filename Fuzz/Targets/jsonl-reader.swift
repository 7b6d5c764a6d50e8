import Trace

/// JSON Lines traces (and through TraceReader the format sniffing): entries or a TraceError.
/// Every record read writes back to a line that reads as the same record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let entries = try? JSONLinesReader.read(bytes, fileName: "fuzz.jsonl") else {
        _ = try? TraceReader.read(bytes, fileName: "fuzz")
        return 0
    }
    for entry in entries {
        let line = JSONLinesWriter.line(entry.record)
        guard let again = try? JSONLinesReader.read(Array(line.utf8), fileName: "again.jsonl"), again.count == 1,
              again[0].record == entry.record
        else { preconditionFailure("a record read from a trace does not survive writing and reading again: \(line)") }
    }
    return 0
}
