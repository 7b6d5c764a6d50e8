import APModel
import APTestSupport
import Agent
import HotplugEngine
import Testing

/// The daemon's control flow, step by step on a test clock: each line feeds one
/// input and states every action it must produce.
@Suite struct DaemonMachineTests {
    typealias Machine = DaemonMachine<TestClock.Instant>

    static let mdev = MdevUUID("0b5e1c3a-1111-4c4c-8888-000000000001")!
    static let settle: [Machine.Action] = [.readDefinitions, .readBack, .writeState]

    static func machine(
        clock: TestClock, watchdog: Duration? = nil, realizing: Bool = false
    ) -> Machine {
        Machine(
            configuration: .init(
                settleDelay: .milliseconds(100), pollInterval: .seconds(5), watchdogInterval: watchdog, realizing: realizing),
            start: clock.now)
    }

    static func assign(seq: UInt64) -> Decision {
        Decision(seq: seq, kind: .assign, mdev: mdev, adapters: [APID(5)], cause: "the definition assigns adapter 05")
    }

    @Test func coldplugReportsThenReadsDefinitionsAndReadyComesAfterTheBacklog() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock, realizing: true)
        let plug = Decision(seq: 0, kind: .plug, mdev: Self.mdev, cause: "coldplug")
        #expect(machine.coldplugScanned([plug, Self.assign(seq: 0)])
            == [.report([plug, Self.assign(seq: 0)]), .realize(Self.assign(seq: 0)), .readDefinitions])
        // While the backlog drains, no tick settles, however long it takes.
        #expect(machine.tick(now: clock.advance(by: .seconds(30))) == [])
        #expect(machine.backlogDrained(now: clock.advance(by: .milliseconds(1))) == Self.settle + [.notifyReady])
        #expect(machine.backlogDrained(now: clock.advance(by: .milliseconds(1))) == [])
    }

    @Test func aBurstSettlesOneSettleDelayAfterItsLastEvent() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock)
        _ = machine.backlogDrained(now: clock.now)
        let bind = KernelEvent.queue("bind", "05.0004", driver: "vfio_ap", seq: 10)
        let unbind = KernelEvent.queue("unbind", "05.00ab", seq: 11)
        #expect(machine.ueventsReceived([bind, unbind]) == [.feed(bind), .feed(unbind)])
        let plug = Decision(seq: 10, kind: .plug, mdev: Self.mdev, cause: "bound")
        #expect(machine.fed(bind, decisions: [plug], now: clock.advance(by: .milliseconds(10))) == [.report([plug])])
        #expect(machine.fed(unbind, decisions: [], now: clock.advance(by: .milliseconds(50))) == [])
        // 100 ms after the first event, but only 90 ms after the last: not yet.
        #expect(machine.tick(now: clock.advance(by: .milliseconds(90))) == [])
        #expect(machine.tick(now: clock.advance(by: .milliseconds(10))) == Self.settle)
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100))) == [])
    }

    @Test func aDuplicateUeventDoesNotHoldTheBurstOpen() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock)
        _ = machine.backlogDrained(now: clock.now)
        let bind = KernelEvent.queue("bind", "05.0004", driver: "vfio_ap", seq: 10)
        // Heard from aphotplug handle already: the engine does not take it again.
        #expect(machine.fed(bind, decisions: nil, now: clock.advance(by: .seconds(1))) == [])
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100))) == [])
    }

    @Test func quietTimesArePolledEveryPollInterval() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock)
        _ = machine.backlogDrained(now: clock.now)
        #expect(machine.tick(now: clock.advance(by: .milliseconds(4_900))) == [])
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100))) == Self.settle)
        #expect(machine.tick(now: clock.advance(by: .milliseconds(4_999))) == [])
        #expect(machine.tick(now: clock.advance(by: .milliseconds(1))) == Self.settle)
    }

    @Test func lostEventsRescanAndTheRescanSettlesLikeABurst() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock)
        _ = machine.backlogDrained(now: clock.now)
        #expect(machine.eventsLost("ENOBUFS", now: clock.advance(by: .seconds(1))) == [.rescan(reason: "ENOBUFS")])
        let resync = Decision(seq: 0, kind: .resync, cause: "rescanned")
        #expect(machine.decided([resync]) == [.report([resync])])
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100))) == Self.settle)
    }

    @Test func aResyncDecisionRescansBeforeTheRestOfTheBatch() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock)
        _ = machine.backlogDrained(now: clock.now)
        let gap = KernelEvent.busRoot(["COMPLETECOUNT": "3"], seq: 40)
        let resync = Decision(seq: 40, kind: .resync, cause: "COMPLETECOUNT jumped")
        #expect(machine.fed(gap, decisions: [resync], now: clock.advance(by: .seconds(1)))
            == [.report([resync]), .rescan(reason: "events were lost")])
    }

    @Test func aSeqnumHoleInASettledAPBurstRescansBeforeTheReadBack() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock)
        _ = machine.backlogDrained(now: clock.now)
        for seq: UInt64 in [20, 21, 24] {
            _ = machine.fed(KernelEvent.queue("unbind", "05.0004", seq: seq), decisions: [], now: clock.advance(by: .milliseconds(1)))
        }
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100)))
            == [.rescan(reason: "SEQNUM gap: 2 event(s) between 20 and 24 never arrived (udevd or the kernel dropped them?)")] + Self.settle)
        // The rescan's burst is over with that settle: the hole is not reported twice.
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100))) == [])
    }

    @Test func anAssignmentLockedOutIsHandedOverAgainAtTheNextSettle() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock, realizing: true)
        _ = machine.backlogDrained(now: clock.now)
        var busy = MatrixRealizer.Outcome()
        busy.lockWasBusy = true
        #expect(machine.realized(Self.assign(seq: 7), busy, changedAssignment: false) == [])
        #expect(machine.tick(now: clock.advance(by: .seconds(5))) == [.realize(Self.assign(seq: 7))] + Self.settle)
        // Handed over once: a second settle does not repeat it.
        #expect(machine.tick(now: clock.advance(by: .seconds(5))) == Self.settle)
    }

    @Test func aWrittenAssignmentIsReadBackAtOnceAndAFailureReported() {
        let clock = TestClock()
        var machine = Self.machine(clock: clock, realizing: true)
        _ = machine.backlogDrained(now: clock.now)
        #expect(machine.realized(Self.assign(seq: 7), MatrixRealizer.Outcome(), changedAssignment: true) == [.readBack])
        var failed = MatrixRealizer.Outcome()
        let failure = Decision(seq: 7, kind: .anomaly, mdev: Self.mdev, cause: "assign_adapter: EBUSY")
        failed.failure = failure
        #expect(machine.realized(Self.assign(seq: 7), failed, changedAssignment: false) == [.report([failure])])
    }

    @Test func assignmentsGoToTheRealizerOnlyWhenTheDaemonRealizes() {
        let clock = TestClock()
        let observing = Self.machine(clock: clock, realizing: false)
        #expect(observing.decided([Self.assign(seq: 1)]) == [.report([Self.assign(seq: 1)])])
        #expect(observing.decided([]) == [])
    }

    @Test func theWatchdogIsPingedEveryIntervalAlsoWhileDraining() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock, watchdog: .seconds(3))
        #expect(machine.tick(now: clock.advance(by: .milliseconds(2_900))) == [])
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100))) == [.pingWatchdog])
        _ = machine.backlogDrained(now: clock.now)
        #expect(machine.tick(now: clock.advance(by: .seconds(3))) == [.pingWatchdog])
        #expect(machine.tick(now: clock.advance(by: .seconds(2))) == Self.settle)
        #expect(machine.tick(now: clock.advance(by: .seconds(1))) == [.pingWatchdog])
    }

    @Test func controlMessagesBecomeGuestsAndUeventsOrAreLogged() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock)
        _ = machine.backlogDrained(now: clock.now)
        let attach = #"{"type":"guest","action":"attach","mdev":"0b5e1c3a-1111-4c4c-8888-000000000001","name":"vm1"}"#
        guard case .guest(let record)? = machine.controlReceived(.message(attach), now: clock.advance(by: .seconds(1))).first else {
            Issue.record("a guest message is not fed as a guest")
            return
        }
        #expect(record.name == "vm1")
        // A guest notification opens a burst too: it settles 100 ms later.
        #expect(machine.tick(now: clock.advance(by: .milliseconds(100))) == Self.settle)
        #expect(machine.controlReceived(.refused("sender uid 1000"), now: clock.now) == [.log("control socket: sender uid 1000")])
        #expect(machine.controlReceived(.message("hello"), now: clock.now)
            == [.log("control socket: ignored a message that is not a guest or uevent record: hello")])
    }

    @Test func aSignalSettlesOnceMoreAndThenNothingIsHeard() {
        var clock = TestClock()
        var machine = Self.machine(clock: clock, watchdog: .seconds(1))
        _ = machine.backlogDrained(now: clock.now)
        #expect(machine.signalReceived(15, now: clock.advance(by: .seconds(1)))
            == [.notifyStopping(signal: 15)] + Self.settle + [.log("stopped by signal 15"), .stop])
        #expect(machine.isStopped)
        #expect(machine.tick(now: clock.advance(by: .seconds(10))) == [])
        #expect(machine.ueventsReceived([KernelEvent.queue("add", "05.0004", seq: 1)]) == [])
        #expect(machine.signalReceived(2, now: clock.now) == [])
    }
}
