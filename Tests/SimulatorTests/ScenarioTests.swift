import APModel
import Testing
@testable import Simulator

/// The script format: parsing, errors with line numbers, `start`, `expect-error`.
@Suite struct ScenarioTests {
    @Test func everyOperationReadsBackFromItsScriptLine() throws {
        let uuid = Fixture.mdevA
        let operations: [Operation] = [
            .changeHost(HostChange(adapters: .set(APMask([0, 1, 2, 3, 0xab])), domains: .relative("+4,-5"),
                                   controlDomains: .set(APMask()), maxAdapterID: 63, maxDomainID: 15)),
            .installCard(APID(0x0a), .cex7, .ep11), .setCheckstop(APID(5), true), .setCheckstop(APID(5), false),
            .boot, .scan, .load(.vfioAP), .unload(.zcryptCEX4),
            .writeMask(.apmask, "-5,+0x10-0x1f"), .writeMask(.aqmask, "0x00ff"),
            .bind(device: "05.0004", driver: .vfioAP), .unbind(device: "card05", driver: nil),
            .unbind(device: "05.0004", driver: .cex4queue), .writeCardConfig(card: "card05", value: "0"),
            .createMdev(uuid.description), .removeMdev(uuid),
            .attachGuest(uuid, guest: "vm1"), .detachGuest(uuid),
            .failQueueReset(APQN(adapter: 5, domain: 4), responseCode: 0x0f),
        ] + MdevAttribute.allCases.map { .writeMdev(uuid, $0, "0x47") }
        let script = "boot\n" + operations.map(\.scriptLine).joined(separator: "\n")
        let parsed = try Scenario(parsing: script).steps.dropFirst().map(\.operation)
        #expect(parsed == operations)
    }

    @Test func theHostBootsBeforeTheFirstLineThatIsNotHardware() throws {
        let scenario = try Scenario(parsing: """
            # a comment
            host adapters 1 domains 2   # trailing comment

            card 01 cex8 ep11
            start
            scan
            """)
        #expect(scenario.steps.map(\.operation) == [
            .changeHost(HostChange(adapters: .set(APMask([1])), domains: .set(APMask([2])))),
            .installCard(APID(1), .cex8, .ep11), .boot, .scan,
        ])
        #expect(scenario.steps.map(\.line) == [2, 4, 5, 6])
        #expect(scenario.setupCount == 3)
        // An explicit boot line means no implicit one.
        let explicit = try Scenario(parsing: "host adapters 1 domains 2\naqmask -2\nstart\nboot")
        #expect(explicit.steps.map(\.operation).filter { $0 == .boot }.count == 1)
        #expect(explicit.setupCount == 2)
    }

    @Test func aBootTracedFromStart() throws {
        let run = try Fixture.run("""
            host adapters 4 domains 6,7
            card 04 cex6 cca
            aqmask -7
            start
            boot
            """)
        #expect(run.initial.scans == 0)
        #expect(run.records.eventSummaries.last == "change /devices/ap SUBSYSTEM=ap INITSCAN=done")
        #expect(run.records.eventSummaries.count == 6)
    }

    @Test(arguments: [
        ("frobnicate 5", 1, "unknown operation 'frobnicate'"),
        ("host adapters 0-3 domains", 1, "expected a value after 'domains'"),
        ("host adapters 0-300", 1, "bad list '0-300'"),
        ("card 5x cex8 cca", 1, "expected the adapter as two hex digits"),
        ("card 05 cex9 cca", 1, "expected 'card AA TYPE MODE'"),
        ("boot\nmdev create", 2, "expected 'mdev create UUID'"),
        ("boot\nmdev 1234 assign-adapter 5", 2, "expected a UUID after 'mdev'"),
        ("boot\nbind 05.0004 vfio", 2, "expected 'bind DEVICE DRIVER'"),
        ("scan\nstart\nexpect-error EBUSY\n", 3, "'expect-error' must come right after"),
        ("boot\nscan\nexpect-error EWHAT", 3, "expected 'expect-error ERRNO'"),
        ("start\nstart", 2, "a second 'start' line"),
        ("boot\nreset-fail 05.0004 0x100", 2, "expected RC to be a response code"),
    ])
    func parseErrorsNameTheLineAndWhatWasExpected(script: String, line: Int, message: String) {
        do {
            _ = try Scenario(parsing: script)
            Issue.record("expected a parse error")
        } catch {
            #expect(error.line == line)
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }

    @Test func expectErrorAcceptsTheRightErrnoOnly() throws {
        let base = Fixture.documentationGuests + "\nstart\napmask +5\n"
        let run = try Fixture.run(base + "expect-error EBUSY\nunbind 05.0004")
        #expect(run.records.eventSummaries.count == 1)

        #expect(throws: ScenarioError.self) { _ = try Fixture.run(base + "expect-error EINVAL") }
        do {
            _ = try Fixture.run(base)
        } catch {
            #expect(error.line == 17)
            #expect(error.message.hasPrefix("failed with EBUSY (Device or resource busy); add 'expect-error EBUSY'"))
            #expect(error.message.contains("kernel: vfio_ap: Can not reserve queue 05.0004 for host driver"))
        }
        do {
            _ = try Fixture.run(Fixture.documentationGuests + "\nscan\nexpect-error EBUSY")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 17)
            #expect(error.message == "expected line 16 ('scan') to fail with EBUSY, but it succeeded")
        }
    }

    @Test func setupIsNotTraced() throws {
        let run = try Fixture.run(Fixture.documentationGuests + "\nstart\n")
        #expect(run.records.isEmpty)
        #expect(run.initial.mdevs == run.final.kernel.mdevs)
        let untraced = try Fixture.run("host adapters 1 domains 1")
        #expect(untraced.initial.scans == 0)
        #expect(untraced.records.eventSummaries.last == "change /devices/ap SUBSYSTEM=ap BINDINGS=complete COMPLETECOUNT=1")
    }

    @Test func invalidRequestsStopTheScript() {
        do {
            _ = try Fixture.run("host adapters 1 domains 1\nmax-adapter-id 5")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
        }
        do {
            _ = try Fixture.run("host adapters 1 domains 1\nscan\nhost max-adapter-id 5")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 3)
            #expect(error.message == "ap_max_adapter_id and ap_max_domain_id are fixed at boot")
        }
    }
}
