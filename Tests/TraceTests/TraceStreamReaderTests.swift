import APModel
import Foundation
import Testing
@testable import Trace

/// The stream reader reads exactly what the whole-file reader reads, however
/// the bytes are cut, and holds back only what is not complete yet.
@Suite struct TraceStreamReaderTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Golden")

    static var traces: [String] {
        let cases = (try? FileManager.default.contentsOfDirectory(atPath: golden.path)) ?? []
        return cases.sorted().compactMap { name in
            ["trace.txt", "trace.jsonl"].map { golden.appendingPathComponent(name).appendingPathComponent($0).path }
                .first { FileManager.default.fileExists(atPath: $0) }
        }
    }

    /// Feeds `bytes` in pieces of `size`, taking entries after each piece.
    static func streamed(_ bytes: [UInt8], size: Int, idle: Bool = false) throws -> [TraceEntry] {
        var reader = TraceStreamReader(fileName: "t")
        var entries: [TraceEntry] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + size)
            reader.append(Array(bytes[offset..<end]))
            entries += try reader.entries(atEnd: false, idle: idle)
            offset = end
        }
        return entries + (try reader.entries(atEnd: true))
    }

    @Test(arguments: traces)
    func anyCutGivesTheSameRecordsAndLines(_ path: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let whole = try TraceReader.read(bytes, fileName: "t")
        #expect(!whole.isEmpty)
        for size in [1, 7, 64, 4_096, bytes.count] {
            #expect(try Self.streamed(bytes, size: size) == whole, "pieces of \(size)")
        }
    }

    @Test func aUdevadmBlockWaitsForTheNextHeaderUnlessTheInputIsIdle() throws {
        let block = "KERNEL[1.000000] change   /devices/ap (ap)\nACTION=change\nDEVPATH=/devices/ap\nSUBSYSTEM=ap\n"
            + "APMASK=0x00\n\nSEQNUM=7\n\n"
        var reader = TraceStreamReader(fileName: "t")
        reader.append(Array(block.utf8))
        #expect(try reader.entries(atEnd: false) == [], "the blank line after APMASK may be inside the block")
        let idle = try reader.entries(atEnd: false, idle: true)
        #expect(idle.count == 1)
        guard case .uevent(let event)? = idle.first?.record else { Issue.record("no uevent"); return }
        #expect(event["APMASK"] == "0x00\n")
        #expect(event.seqnum == 7)
        #expect(try reader.entries(atEnd: true) == [])
    }

    @Test func jsonLinesAreCompleteAtTheirNewlineAndLinesCountAcrossChunks() throws {
        var reader = TraceStreamReader(fileName: "t")
        reader.append(Array("\n{\"type\":\"settled\"}\n{\"type\":\"sett".utf8))
        let first = try reader.entries(atEnd: false)
        #expect(first == [TraceEntry(line: 2, record: .settled)])
        reader.append(Array("led\"}\n{\"type\":\"bogus\"}\n".utf8))
        #expect(throws: TraceError.self) { try reader.entries(atEnd: false) }
        var again = TraceStreamReader(fileName: "t")
        again.append(Array("{\"type\":\"settled\"}\n{\"type\":\"bogus\"}\n".utf8))
        do {
            _ = try again.entries(atEnd: false)
            Issue.record("a bad record must throw")
        } catch {
            #expect(error.description.hasPrefix("t:2:"))
        }
    }

    @Test func udevBlocksBeforeTheFirstKernelBlockAreKeptAndLaterOnesLeftOut() throws {
        func block(_ source: String, _ seq: Int) -> String {
            "\(source)[1.0] unbind   /devices/ap/card05/05.0004 (ap)\nACTION=unbind\nDEVPATH=/devices/ap/card05/05.0004\nSUBSYSTEM=ap\nSEQNUM=\(seq)\n\n"
        }
        let text = block("UDEV  ", 1) + block("KERNEL", 2) + block("UDEV  ", 2) + block("KERNEL", 3)
        let seqnums = try TraceReader.read(Array(text.utf8), fileName: "t").compactMap { entry -> UInt64? in
            guard case .uevent(let event) = entry.record else { return nil }
            return event.seqnum
        }
        #expect(seqnums == [1, 2, 3])
        #expect(try Self.streamed(Array(text.utf8), size: 5).count == 3)
    }

    @Test func aRecordWithoutEndIsRefusedOnceItIsFarTooLong() throws {
        #expect(TraceStreamReader.maximumRecordBytes == 256 << 20)
        var reader = TraceStreamReader(fileName: "t", maximumRecordBytes: 4 << 20)
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20)
        reader.append(Array("{".utf8))
        var thrown = false
        for _ in 0...5 {
            reader.append(chunk)
            do { _ = try reader.entries(atEnd: false) } catch {
                thrown = true
                #expect(error.description.contains("at most 4 MiB"))
                break
            }
        }
        #expect(thrown)
    }
}
