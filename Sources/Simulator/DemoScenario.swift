import APModel

/// The narrated scenario `aphotplug demo` plays on a simulated host.
///
/// The host: four CEX8 cards (adapters 01–04) and four usage and control
/// domains (0004–0007), vfio_ap loaded, adapters 01 and 02 given to vfio_ap.
/// mdev A holds adapters 01, 02 × domains 0004, 0005 and runs guest `vm1`;
/// mdev B holds adapters 01, 02 × domains 0006, 0007 and has no guest yet.
/// Adapters 03 and 04 belong to the host.
///
/// The acts, each with what the agent should decide:
/// 1. free adapter 03 from the host (apmask) and assign it to mdev A → plug;
/// 2. unbind queue 02.0005 from vfio_ap → unplug of adapter 02;
/// 3. bind it again → plug of adapter 02;
/// 4. deconfigure card 01 → nothing (deconfigured queues stay in the guest);
/// 5. remove adapter 03 from the host configuration → unplug of adapter 03;
/// 6. guest vm2 starts on mdev B → migration blocker raised;
/// 7. guest vm1 shuts down → its blocker cleared.
public enum DemoScenario {
    /// One step of the story: what the narrator says, then what happens.
    public struct Act: Sendable {
        public var narration: String
        public var operations: [Operation]
        /// Whether the demo first asks `aphotplug what-if` what the act will do.
        public var predictedFirst = false
    }

    public static let mdevA = MdevUUID("4b7c1a2e-0000-4000-8000-00000000000a")!
    public static let mdevB = MdevUUID("4b7c1a2e-0000-4000-8000-00000000000b")!

    /// Builds the host up to the point where the story starts (not traced).
    public static var setup: [Operation] {
        var operations: [Operation] = [
            .changeHost(HostChange(
                adapters: .set(APMask([1, 2, 3, 4])), domains: .set(APMask([4, 5, 6, 7])),
                controlDomains: .set(APMask([4, 5, 6, 7])))),
            .boot,
            .load(.vfioAP),
            .writeMask(.apmask, "-1,-2"),
            .createMdev(mdevA.description),
            .createMdev(mdevB.description),
        ]
        for adapter in ["1", "2"] {
            operations.append(.writeMdev(mdevA, .assignAdapter, adapter))
            operations.append(.writeMdev(mdevB, .assignAdapter, adapter))
        }
        for domain in ["4", "5"] { operations.append(.writeMdev(mdevA, .assignDomain, domain)) }
        for domain in ["6", "7"] { operations.append(.writeMdev(mdevB, .assignDomain, domain)) }
        operations += [
            .writeMdev(mdevA, .assignControlDomain, "4"),
            .writeMdev(mdevB, .assignControlDomain, "6"),
            .attachGuest(mdevA, guest: "vm1"),
            .scan,
        ]
        return operations
    }

    /// The story.
    public static let acts: [Act] = [
        Act(narration: "The admin frees adapter 03 from the host (echo -3 > /sys/bus/ap/apmask): its queues move to vfio_ap",
            operations: [.writeMask(.apmask, "-3")]),
        Act(narration: "…and assigns adapter 03 to mdev A: every queue of 03 over A's domains is bound, so vm1 gets it",
            operations: [.writeMdev(mdevA, .assignAdapter, "3")]),
        Act(narration: "Queue 02.0005 is unbound from vfio_ap: the guest loses the whole adapter 02",
            operations: [.unbind(device: "02.0005", driver: .vfioAP)]),
        Act(narration: "02.0005 is bound to vfio_ap again: adapter 02 comes back",
            operations: [.bind(device: "02.0005", driver: .vfioAP)]),
        Act(narration: "Card 01 is deconfigured (echo 0 > card01/config; the next AP bus scan sees its queues): "
                + "deconfigured queues stay in the guest",
            operations: [.writeCardConfig(card: "card01", value: "0"), .scan]),
        Act(narration: "Adapter 03 is removed from the LPAR's AP configuration (SE/HMC): the AP bus scans, 03 leaves vm1",
            operations: [.changeHost(HostChange(adapters: .relative("-3")))], predictedFirst: true),
        Act(narration: "Guest vm2 starts on mdev B: it now holds AP resources and cannot be live-migrated",
            operations: [.attachGuest(mdevB, guest: "vm2")]),
        Act(narration: "Guest vm1 shuts down: its migration blocker goes away",
            operations: [.detachGuest(mdevA)]),
    ]

    /// The simulation with ``setup`` applied: the state the story starts from.
    public static func prepared() throws(OperationFailure) -> Simulation {
        var simulation = Simulation()
        for operation in setup { _ = try simulation.perform(operation) }
        return simulation
    }
}
