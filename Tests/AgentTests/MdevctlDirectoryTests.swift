import APModel
import APTestSupport
import Agent
import Foundation
import Glibc
import HotplugEngine
import Testing

/// mdevctl's definitions are read with the care of sysfs attributes (no links, no
/// FIFOs, bounded), but with room for the largest real definition.
@Suite struct MdevctlDirectoryTests {
    static let uuid = MdevUUID("0b5e1c3a-1111-4c4c-8888-000000000001")!

    @Test("a definition of every adapter, domain and control domain (over 4 KiB) is read whole")
    func largestDefinition() throws {
        try withTemporaryDirectory { directory in
            #expect(mkdir(directory + "/matrix", 0o755) == 0)
            var attrs: [String] = []
            for kind in ["assign_adapter", "assign_domain", "assign_control_domain"] {
                for id in 0..<256 { attrs.append(#"{"\#(kind)":"0x\#(String(id, radix: 16))"}"#) }
            }
            let text = #"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[\#(attrs.joined(separator: ","))]}"# + "\n"
            #expect(text.utf8.count > 4096)
            try text.write(toFile: directory + "/matrix/\(Self.uuid)", atomically: false, encoding: .utf8)
            let read = MdevctlDirectory(path: directory).read()
            #expect(read[Self.uuid] == text)
            guard case .defined(let definition) = DefinitionReading(mdevctlConfig: read[Self.uuid], of: Self.uuid) else {
                Issue.record("the definition must parse")
                return
            }
            #expect(definition.matrix == APMatrix(adapters: .all, domains: .all, controlDomains: .all))
        }
    }

    @Test("a FIFO among the definitions does not hang the read; it is left out")
    func fifoIsLeftOut() throws {
        try withTemporaryDirectory { directory in
            #expect(mkdir(directory + "/matrix", 0o755) == 0)
            #expect(mkfifo(directory + "/matrix/\(Self.uuid)", 0o644) == 0)
            let read = finishing(within: .seconds(5)) { MdevctlDirectory(path: directory).read().count }
            #expect(read == 0)
        }
    }
}
