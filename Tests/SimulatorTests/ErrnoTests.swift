import APModel
import Testing
@testable import Simulator

/// The kernel's refusals (kernel-ap.md §3): the errno, and nothing changed or emitted.
@Suite struct ErrnoTests {
    let setup: Simulation

    init() throws {
        setup = try Fixture.run(Fixture.documentationGuests).final
    }

    /// Performs `operation`, expecting `errno` and no change at all.
    func expectRefusal(_ operation: Operation, _ errno: KernelErrno, sourceLocation: SourceLocation = #_sourceLocation) {
        var simulation = setup
        #expect(throws: OperationFailure.kernel(errno), sourceLocation: sourceLocation) {
            _ = try simulation.perform(operation)
        }
        #expect(simulation.kernel.seqnum == setup.kernel.seqnum, sourceLocation: sourceLocation)
        #expect(simulation.kernel.mdevs == setup.kernel.mdevs, sourceLocation: sourceLocation)
        #expect(simulation.kernel.apmask == setup.kernel.apmask, sourceLocation: sourceLocation)
        #expect(simulation.kernel.aqmask == setup.kernel.aqmask, sourceLocation: sourceLocation)
    }

    @Test func givingAnAssignedAdapterBackToTheHostIsEBUSY() {
        expectRefusal(.writeMask(.apmask, "+5"), .EBUSY)
        expectRefusal(.writeMask(.apmask, "0xff"), .EBUSY)
        var simulation = setup
        #expect(throws: OperationFailure.kernel(.EBUSY)) { _ = try simulation.perform(.writeMask(.apmask, "+6")) }
        #expect(simulation.kernelLog.first
            == "vfio_ap: Can not reserve queue 06.0004 for host driver: in use by mdev \(Fixture.mdevA)")
    }

    @Test func onlyTheAPQNsThatChangeOwnerAreChecked() throws {
        // Pre-6.19 semantics: domain 4 of mdev A goes back to the host's aqmask
        // while A's adapters 5 and 6 stay out of apmask, so none of A's APQNs
        // changes owner and the write succeeds (6.19 would refuse it).
        var simulation = setup
        let cleared = try simulation.perform(.writeMask(.aqmask, "-4"))
        #expect(cleared.records.eventSummaries == [
            "unbind /devices/ap/card04/04.0004 SUBSYSTEM=ap DEVTYPE=ap_queue MODE=cca",
            "bind /devices/ap/card04/04.0004 SUBSYSTEM=ap DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
            "change /devices/ap SUBSYSTEM=ap AQMASK=0xf7ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n",
        ])
        let restored = try simulation.perform(.writeMask(.aqmask, "+4"))
        #expect(restored.records.eventSummaries.count == 3)
        #expect(simulation.kernel.mdev(Fixture.mdevA)?.shadow == Fixture.matrix([5, 6], [4, 0xab]))
    }

    @Test func badMaskSyntaxIsEINVAL() {
        expectRefusal(.writeMask(.apmask, "-256"), .EINVAL)
        expectRefusal(.writeMask(.apmask, "+5,x"), .EINVAL)
        expectRefusal(.writeMask(.apmask, "0x" + String(repeating: "f", count: 65)), .EINVAL)
        expectRefusal(.writeMask(.aqmask, "0xfg"), .EINVAL)
    }

    @Test func anUnchangedMaskSendsNothing() throws {
        var simulation = setup
        let step = try simulation.perform(.writeMask(.apmask, "-5"))
        #expect(step.records.isEmpty)
        #expect(simulation.kernel.seqnum == setup.kernel.seqnum)
    }

    @Test func sharingAnAPQNIsEADDRINUSE() {
        expectRefusal(.writeMdev(Fixture.mdevB, .assignDomain, "4"), .EADDRINUSE)
        expectRefusal(.writeMdev(Fixture.mdevB, .assignDomain, "0xab"), .EADDRINUSE)
        expectRefusal(.writeMdev(Fixture.mdevA, .apConfig, "\(APMask([5]).sysfsHex),\(APMask([0xff]).sysfsHex),0x"), .EADDRINUSE)
    }

    @Test func assigningAHostOwnedAPQNIsEADDRNOTAVAIL() {
        expectRefusal(.writeMdev(Fixture.mdevA, .assignAdapter, "4"), .EADDRNOTAVAIL)
    }

    @Test func idsAboveTheMaximumAreENODEVAndGarbageIsEINVAL() {
        expectRefusal(.writeMdev(Fixture.mdevA, .assignAdapter, "256"), .ENODEV)
        expectRefusal(.writeMdev(Fixture.mdevA, .assignControlDomain, "0x100"), .ENODEV)
        expectRefusal(.writeMdev(Fixture.mdevA, .assignDomain, "four"), .EINVAL)
        expectRefusal(.writeMdev(Fixture.mdevA, .assignDomain, "08"), .EINVAL)
        expectRefusal(.writeMdev(Fixture.mdevA, .unassignAdapter, ""), .EINVAL)
        expectRefusal(.writeMdev(Fixture.mdevA, .assignDomain, "99999999999999999999999"), .ERANGE)
        expectRefusal(.writeMdev(Fixture.mdevA, .apConfig, "0x"), .EINVAL)
        expectRefusal(.writeMdev(Fixture.mdevA, .apConfig, "0x04,0x08,zz"), .EINVAL)
    }

    @Test func smallMaximumIDsComeFromTheHostConfiguration() throws {
        var simulation = try Fixture.run("""
            host adapters 1 domains 2 max-adapter-id 63 max-domain-id 15
            modprobe vfio_ap
            mdev create \(Fixture.mdevA)
            """).final
        #expect(throws: OperationFailure.kernel(.ENODEV)) {
            _ = try simulation.perform(.writeMdev(Fixture.mdevA, .assignAdapter, "64"))
        }
        #expect(throws: OperationFailure.kernel(.ENODEV)) {
            _ = try simulation.perform(.writeMdev(Fixture.mdevA, .apConfig, "0x,\(APMask([16]).sysfsHex),0x"))
        }
        _ = try simulation.perform(.writeMdev(Fixture.mdevA, .assignDomain, "15"))
    }

    @Test func bindingToTheWrongOwnerIsENODEVAndTwiceIsEBUSY() throws {
        expectRefusal(.bind(device: "04.0004", driver: .vfioAP), .EBUSY)
        expectRefusal(.bind(device: "05.0004", driver: .vfioAP), .EBUSY)
        expectRefusal(.bind(device: "07.0004", driver: .vfioAP), .ENODEV)
        expectRefusal(.bind(device: "5.4", driver: .vfioAP), .ENODEV)
        expectRefusal(.bind(device: "card05", driver: .vfioAP), .ENODEV)
        expectRefusal(.unbind(device: "05.0004", driver: .cex4queue), .ENODEV)
        expectRefusal(.unbind(device: "07.0004", driver: nil), .ENOENT)
    }

    @Test func aHostQueueCannotGoToVfioAP() throws {
        var simulation = setup
        _ = try simulation.perform(.unbind(device: "04.0004", driver: .cex4queue))
        #expect(throws: OperationFailure.kernel(.ENODEV)) {
            _ = try simulation.perform(.bind(device: "04.0004", driver: .vfioAP))
        }
        let step = try simulation.perform(.bind(device: "04.0004", driver: .cex4queue))
        #expect(step.records.eventSummaries.count == 1)
    }

    @Test func aNonHostQueueCannotGoToTheDefaultDriver() throws {
        var simulation = setup
        _ = try simulation.perform(.unbind(device: "06.0047", driver: nil))
        #expect(throws: OperationFailure.kernel(.ENODEV)) {
            _ = try simulation.perform(.bind(device: "06.0047", driver: .cex4queue))
        }
        #expect(simulation.kernel.queue(APQN(adapter: 6, domain: 0x47))?.driver == nil)
    }

    @Test func aSecondMdevForOneGuestIsEPERM() throws {
        var simulation = setup
        _ = try simulation.perform(.createMdev("4b7c1a2e-0000-4000-8000-00000000000c"))
        let third = MdevUUID("4b7c1a2e-0000-4000-8000-00000000000c")!
        #expect(throws: OperationFailure.kernel(.EPERM)) {
            _ = try simulation.perform(.attachGuest(third, guest: "vm1"))
        }
        #expect(throws: OperationFailure.kernel(.EBUSY)) {
            _ = try simulation.perform(.attachGuest(Fixture.mdevA, guest: "vm3"))
        }
        _ = try simulation.perform(.attachGuest(third, guest: "vm3"))
    }

    @Test func mdevCreateChecksItsInput() {
        expectRefusal(.createMdev(Fixture.mdevA.description), .EEXIST)
        expectRefusal(.createMdev(Fixture.mdevA.description.uppercased()), .EEXIST)
        expectRefusal(.createMdev("not-a-uuid"), .EINVAL)
        expectRefusal(.createMdev("4b7c1a2e-0000-4000-8000-00000000000cc"), .EINVAL)
        expectRefusal(.removeMdev(MdevUUID("4b7c1a2e-0000-4000-8000-0000000000ff")!), .ENOENT)
    }

    @Test func cardConfigAcceptsOnlyZeroAndOne() {
        expectRefusal(.writeCardConfig(card: "card05", value: "2"), .EINVAL)
        expectRefusal(.writeCardConfig(card: "card05", value: "on"), .EINVAL)
        expectRefusal(.writeCardConfig(card: "card07", value: "0"), .ENOENT)
    }

    @Test func vfioAPCannotBeUnloadedWhileAGuestHoldsAnMdev() throws {
        expectRefusal(.unload(.vfioAP), .EAGAIN)
        var simulation = try Fixture.run("host adapters 1 domains 1")
            .final
        #expect(throws: OperationFailure.kernel(.ENOENT)) { _ = try simulation.perform(.unload(.vfioAP)) }
        #expect(throws: OperationFailure.kernel(.ENOENT)) {
            _ = try simulation.perform(.createMdev(Fixture.mdevA.description))
        }
    }

    @Test func impossibleRequestsAreNotErrnos() {
        var simulation = setup
        #expect(throws: OperationFailure.invalidRequest("queue 04.0004 is not bound to vfio_ap, so it has no reset status")) {
            _ = try simulation.perform(.failQueueReset(APQN(adapter: 4, domain: 4), responseCode: 1))
        }
        #expect(throws: OperationFailure.invalidRequest("the host has already booted")) {
            _ = try simulation.perform(.boot)
        }
    }
}
