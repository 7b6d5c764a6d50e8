import APTestSupport
import Foundation
import Testing

/// `aphotplug status` on state files written by hand: the table it prints, and
/// the "not a state file" error (exit 65) for anything the daemon would not write.
/// Serialized: each case runs the binary and blocks a thread of the shared pool until it exits; 24 at once
/// starve the end-to-end tests that wait on timers (the enforce lock test gave up on the lock).
@Suite(.serialized) struct StatusCommandTests {
    static let first = "0b5e1c3a-1111-4c4c-8888-000000000001"
    static let second = "0b5e1c3a-2222-4c4c-8888-000000000002"

    /// A state file as the daemon writes it, with `mdevs` as the members of `state.mdevs`.
    static func stateFile(_ mdevs: String, counters: Bool = true) -> String {
        #"{"updated":"2026-12-07T00:00:00Z","# + (counters ? #""uevents":12,"rescans":0,"# : "")
            + #""state":{"mdevs":{"# + mdevs + "}}}\n"
    }

    static func mdev(
        _ uuid: String, guest: String? = nil, assigned: (String, String), shadow: (String, String), blocker: Bool = false
    ) -> String {
        func matrix(_ m: (String, String)) -> String { #"{"adapters":[\#(m.0)],"domains":[\#(m.1)],"control_domains":[]}"# }
        return #""\#(uuid)":{"guest":\#(guest.map { "\"\($0)\"" } ?? "null"),"assigned":\#(matrix(assigned))"#
            + #","shadow":\#(matrix(shadow)),"blocker":\#(blocker)}"#
    }

    static func status(_ content: String) throws -> CommandLineRunner.Result {
        let directory = try TemporaryDirectory()
        try content.write(toFile: directory.path + "/state.json", atomically: false, encoding: .utf8)
        return try CommandLineRunner.run(["status", "--state-dir", directory.path])
    }

    @Test("status prints one row per mdev in UUID order, then what each one keeps out of its guest")
    func table() throws {
        let file = Self.stateFile(
            Self.mdev(Self.second, assigned: (#""05""#, #""0047""#), shadow: (#""05""#, #""0047""#)) + ","
                + Self.mdev(Self.first, guest: "vm1", assigned: (#""04","05""#, #""0006","0007""#),
                            shadow: (#""04""#, #""0006""#), blocker: true))
        let result = try Self.status(file)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            state of 2026-12-07T00:00:00Z
            MDEV                                  GUEST  ASSIGNED  IN GUEST  NOT IN GUEST               BLOCKER
            \(Self.first)  vm1    4         1         adapters 05; domains 0007  yes
            \(Self.second)  -      1         1         -                          no

            \(Self.first): assigned 04.0006 04.0007 05.0006 05.0007; in guest 04.0006
              adapters 05 assigned but not in the guest: outside the host AP configuration, or not every queue over the domains is bound to vfio_ap
              domains 0007 assigned but not in the guest: outside the host AP configuration

            \(Self.second): assigned 05.0047; in guest 05.0047

            """, "\(result.stdout)")
    }

    @Test("status of a state file without mdevs, as aphotplug handle writes it (no counters)")
    func noMdevs() throws {
        let result = try Self.status(Self.stateFile("", counters: false))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "state of 2026-12-07T00:00:00Z\nno vfio_ap mdevs\n")
    }

    /// Each is a file the daemon never writes; `status` must say so, not trap or guess.
    static let malformed: [(String, String)] = [
        ("empty file", ""),
        ("truncated", String(stateFile("").dropLast(3))),
        ("an array", "[]\n"),
        ("trailing text", stateFile("") + "x"),
        ("a raw control character in a string", "{\"updated\":\"a\u{01}\",\"state\":{\"mdevs\":{}}}"),
        ("deep nesting", String(repeating: "[", count: 100_000)),
        ("a duplicate top-level member", #"{"updated":"a","updated":"b","state":{"mdevs":{}}}"#),
        ("a duplicate mdev", stateFile(mdev(first, assigned: ("", ""), shadow: ("", "")) + ","
                                          + mdev(first, assigned: ("", ""), shadow: ("", "")))),
        ("an mdev key that is no UUID", stateFile(mdev("vm1", assigned: ("", ""), shadow: ("", "")))),
        ("blocker as a number", stateFile(mdev(first, assigned: ("", ""), shadow: ("", ""))
            .replacingOccurrences(of: #""blocker":false"#, with: #""blocker":0"#))),
        ("guest as a number", stateFile(mdev(first, assigned: ("", ""), shadow: ("", ""))
            .replacingOccurrences(of: #""guest":null"#, with: #""guest":5"#))),
        ("an adapter out of range", stateFile(mdev(first, assigned: (#""100""#, ""), shadow: ("", "")))),
        ("an adapter that is no hex", stateFile(mdev(first, assigned: (#""zz""#, ""), shadow: ("", "")))),
        ("a domain as a number", stateFile(mdev(first, assigned: ("", "6"), shadow: ("", "")))),
        ("a repeated domain", stateFile(mdev(first, assigned: ("", #""0006","0006""#), shadow: ("", "")))),
        ("a missing shadow", stateFile(mdev(first, assigned: ("", ""), shadow: ("", ""))
            .replacingOccurrences(of: #","shadow":{"adapters":[],"domains":[],"control_domains":[]}"#, with: ""))),
        ("an unknown member", #"{"updated":"a","state":{"mdevs":{}},"extra":1}"#),
        ("uevents without rescans", #"{"updated":"a","uevents":1,"state":{"mdevs":{}}}"#),
        ("a negative counter", #"{"updated":"a","uevents":-1,"rescans":0,"state":{"mdevs":{}}}"#),
        ("a fractional counter", #"{"updated":"a","uevents":1.5,"rescans":0,"state":{"mdevs":{}}}"#),
        ("a counter beyond Int", #"{"updated":"a","uevents":99999999999999999999,"rescans":0,"state":{"mdevs":{}}}"#),
    ]

    @Test("status of a file that is not a state file exits 65 and says why", arguments: malformed)
    func notAStateFile(_ name: String, _ content: String) throws {
        let result = try Self.status(content)
        #expect(result.status == 65, "\(name): \(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("state.json: not a state file"), "\(name): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(name)")
    }

    @Test("status --json prints the file as it is, even one it could not render")
    func jsonAsIs() throws {
        let directory = try TemporaryDirectory()
        let content = #"{"updated":"a","updated":"b"}"#
        try content.write(toFile: directory.path + "/state.json", atomically: false, encoding: .utf8)
        let result = try CommandLineRunner.run(["status", "--json", "--state-dir", directory.path])
        #expect(result.status == 0)
        #expect(result.stdout == content)
    }

    @Test("a planted link, a FIFO or a huge file at state.json is refused with exit 66, never followed, waited on or quoted")
    func plantedFiles() throws {
        let directory = try TemporaryDirectory()
        let secret = directory.path + "/secret"
        try "root:$6$hash:20228:0:99999:7:::\n".write(toFile: secret, atomically: false, encoding: .utf8)
        let state = directory.path + "/state.json"
        #expect(symlink(secret, state) == 0)
        for json in [false, true] {
            let linked = try CommandLineRunner.run(["status"] + (json ? ["--json"] : []) + ["--state-dir", directory.path])
            #expect(linked.status == 66, "\(linked.stderr)")
            #expect(linked.stderr.contains("state.json: a symbolic link, not a state file"), "\(linked.stderr)")
            #expect(!linked.stderr.contains("root:") && !linked.stdout.contains("root:"))
        }
        unlink(state)
        #expect(mkfifo(state, 0o600) == 0)
        let fifo = try CommandLineRunner.run(["status", "--state-dir", directory.path])
        #expect(fifo.status == 66)
        #expect(fifo.stderr.contains("state.json: a FIFO, not a state file"), "\(fifo.stderr)")
        unlink(state)
        try String(repeating: " ", count: (16 << 20) + 1).write(toFile: state, atomically: false, encoding: .utf8)
        let huge = try CommandLineRunner.run(["status", "--state-dir", directory.path])
        #expect(huge.status == 66)
        #expect(huge.stderr.contains("larger than 16777216 bytes"), "\(huge.stderr)")
    }
}
