import Agent
import Foundation
import HotplugEngine
import Testing

/// `dist/aphotplug.catalog`, the `journalctl -x` explanations, in systemd's
/// catalog format (systemd's `man:journalctl(1)` `--update-catalog`,
/// `catalog/systemd.catalog.in`): one `-- <32 hex MESSAGE_ID>` entry per decision
/// kind, each with a Subject; and the man page's FILES and ENVIRONMENT (`dist/aphotplug.1.tail`).
@Suite struct JournalCatalogTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(path), encoding: .utf8)
    }

    @Test func everyMessageIDHasOneCatalogEntryWithASubject() throws {
        let lines = try Self.text("dist/aphotplug.catalog").split(separator: "\n", omittingEmptySubsequences: false)
        var entries: [String: [Substring]] = [:]
        var current: String?
        for line in lines {
            if line.hasPrefix("-- ") {
                let id = String(line.dropFirst(3))
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "\(id)")
                #expect(entries[id] == nil, "\(id) twice")
                entries[id] = []
                current = id
            } else if let current {
                entries[current]!.append(line)
            }
        }
        let ids = Set(Decision.Kind.allCases.map(JournalReporter.messageID))
        #expect(Set(entries.keys) == ids)
        for (id, body) in entries {
            #expect(body.contains { $0.hasPrefix("Subject: ") }, "\(id)")
            #expect(body.contains("Defined-By: aphotplug"), "\(id)")
        }
    }

    @Test func manPageHasFilesAndEnvironment() throws {
        let tail = try Self.text("dist/aphotplug.1.tail")
        #expect(tail.contains(".Sh FILES"))
        #expect(tail.contains(".Sh ENVIRONMENT"))
        #expect(tail.contains(".It Ev APHOTPLUG_STATE_DIR"))
        let makefile = try Self.text("Makefile")
        #expect(makefile.contains("cat dist/aphotplug.1.tail >>$@"))
        #expect(makefile.contains("dist/aphotplug.catalog $(DESTDIR)$(CATALOGDIR)/aphotplug.catalog"))
    }
}
