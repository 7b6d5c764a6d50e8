import APModel

/// The engine's persisted state: everything it knows, as compact bytes, so that
/// a short-lived shell (`aphotplug handle`, one uevent per process) can carry
/// the engine from one event to the next. An engine restored from
/// ``encode(to:)`` decides exactly as the one that was encoded.
///
/// Layout (version 3), in this order: the magic `APHE`, the version (varint);
/// the host (driver names, the 65,536 queue slots run-length encoded, cards,
/// QCI configuration, apmask, aqmask, maximum ids); the mdevs in UUID order
/// (assignment, shadow and its staleness, guest, observed `guest_matrix`,
/// blocker, enforcement bookkeeping); the matrix device and its features;
/// the last COMPLETECOUNT; whether a snapshot was applied; the definitions in
/// UUID order; chzdev's persistent masks (``APMaskRulesReading``); the pending assignability change; the ids whose place in the
/// configuration is inferred; the open scan (``OpenScan``). Derived tables
/// (per-adapter masks, a scan's added devices, the refused definitions) are rebuilt on decoding, not stored.
extension Engine {
    /// The version ``encode(to:)`` writes and ``init(decoding:)`` reads.
    public static let persistedStateVersion: UInt64 = 3
    static let persistedStateMagic = Array("APHE".utf8)

    /// Appends the engine's state to `encoder`.
    public func encode(to encoder: inout PersistedEncoder) {
        encoder.raw(Self.persistedStateMagic)
        encoder.varint(Self.persistedStateVersion)
        host.encode(to: &encoder)
        encoder.varint(UInt64(mdevs.records.count))
        for record in mdevs.records { record.encode(to: &encoder) }
        encoder.bool(matrixDevicePresent)
        encoder.varint(UInt64(features.count))
        for feature in features { encoder.string(feature) }
        encoder.optional(lastCompleteCount) { $0.varint($1) }
        encoder.bool(hasSnapshot)
        encoder.varint(UInt64(definitions.count))
        for uuid in definitions.keys.sorted() {
            let definition = definitions[known: uuid]
            encoder.uuid(uuid)
            encoder.matrix(definition.matrix)
            encoder.bool(definition.autostart)
        }
        switch apMaskRules {
        case .read(let masks):
            encoder.byte(0)
            encoder.optional(masks.apmask) { $0.mask($1) }
            encoder.optional(masks.aqmask) { $0.mask($1) }
        case .unusable(let reason):
            encoder.byte(1)
            encoder.string(reason)
        }
        encoder.optional(assignabilityChangedAt) { $0.varint($1) }
        encoder.matrix(inferredConfiguration)
        encoder.optional(scan) { $1.encode(to: &$0) }
    }

    /// Restores an engine from what ``encode(to:)`` wrote, leaving `decoder` after it.
    ///
    /// - Throws: ``PersistedStateError`` for another magic or version, truncated
    ///   bytes or an impossible value; the shell then starts from sysfs instead.
    public init(decoding decoder: inout PersistedDecoder) throws(PersistedStateError) {
        try decoder.raw(Self.persistedStateMagic, "engine.magic")
        let version = try decoder.varint("engine.version")
        guard version == Self.persistedStateVersion else {
            throw decoder.error(.versionMismatch(found: version, expected: Self.persistedStateVersion), "engine.version")
        }
        self.init()
        host = try HostModel(decoding: &decoder)
        var previous: MdevUUID?
        for index in 0..<(try decoder.count("engine.mdevs", minimumSize: 40)) {
            let record = try MdevRecord(decoding: &decoder, field: "engine.mdevs[\(index)]")
            guard previous.map({ $0 < record.uuid }) ?? true else {
                throw decoder.error(.invalidValue("mdev \(record.uuid) out of UUID order"), "engine.mdevs[\(index)]")
            }
            previous = record.uuid
            mdevs[record.uuid] = record
        }
        matrixDevicePresent = try decoder.bool("engine.matrix_device_present")
        for index in 0..<(try decoder.count("engine.features")) {
            features.append(try decoder.string("engine.features[\(index)]"))
        }
        lastCompleteCount = try decoder.optional("engine.last_complete_count") { decoder throws(PersistedStateError) in
            try decoder.varint("engine.last_complete_count")
        }
        hasSnapshot = try decoder.bool("engine.has_snapshot")
        for index in 0..<(try decoder.count("engine.definitions", minimumSize: 40)) {
            let field = "engine.definitions[\(index)]"
            let uuid = try decoder.uuid(field + ".uuid")
            let matrix = try decoder.matrix(field + ".matrix")
            definitions[uuid] = MdevDefinition(matrix: matrix, autostart: try decoder.bool(field + ".autostart"))
        }
        switch try decoder.byte("engine.ap_mask_rules") {
        case 0:
            let apmask = try decoder.optional("engine.ap_mask_rules.apmask") { decoder throws(PersistedStateError) in
                try decoder.mask("engine.ap_mask_rules.apmask")
            }
            let aqmask = try decoder.optional("engine.ap_mask_rules.aqmask") { decoder throws(PersistedStateError) in
                try decoder.mask("engine.ap_mask_rules.aqmask")
            }
            apMaskRules = .read(PersistentAPMasks(apmask: apmask, aqmask: aqmask))
        case 1:
            apMaskRules = .unusable(reason: try decoder.string("engine.ap_mask_rules.reason"))
        case let other:
            throw decoder.error(.invalidValue("kind \(other)"), "engine.ap_mask_rules")
        }
        assignabilityChangedAt = try decoder.optional("engine.assignability_changed_at") { decoder throws(PersistedStateError) in
            try decoder.varint("engine.assignability_changed_at")
        }
        inferredConfiguration = try decoder.matrix("engine.inferred_configuration")
        scan = try decoder.optional("engine.scan") { decoder throws(PersistedStateError) in
            try OpenScan(decoding: &decoder)
        }
        refusedDefinitions = definitionRefusals()
    }
}

extension HostModel {
    /// Queue slot flags in the persisted run-length table.
    private enum SlotBit {
        static let present: UInt64 = 1
        static let configured: UInt64 = 2
        static let checkstopped: UInt64 = 4
        static let resetFailed: UInt64 = 8
        static let all = present | configured | checkstopped | resetFailed
        /// The driver id sits above the flags.
        static let driverShift: UInt64 = 4
    }

    private static func packed(_ slot: QueueSlot) -> UInt64 {
        var value = UInt64(slot.driver) << SlotBit.driverShift
        if slot.present { value |= SlotBit.present }
        if slot.configured { value |= SlotBit.configured }
        if slot.checkstopped { value |= SlotBit.checkstopped }
        if slot.resetFailed { value |= SlotBit.resetFailed }
        return value
    }

    func encode(to encoder: inout PersistedEncoder) {
        encoder.varint(UInt64(driverNames.count))
        for name in driverNames { encoder.string(name) }
        // Runs of equal slots over the dense APQN index: a uniform host takes a few bytes.
        var index = 0
        while index < queues.count {
            let value = Self.packed(queues[index])
            var end = index + 1
            while end < queues.count && Self.packed(queues[end]) == value { end += 1 }
            encoder.varint(UInt64(end - index))
            encoder.varint(value)
            index = end
        }
        encoder.varint(UInt64(cards.count))
        for id in cards.keys.sorted() {
            let card = cards[known: id]
            encoder.byte(id.rawValue)
            encoder.int(card.hardwareType)
            encoder.optional(card.driver) { $0.string($1) }
            encoder.bool(card.configured)
        }
        encoder.matrix(configuration)
        encoder.mask(apmask)
        encoder.mask(aqmask)
        encoder.int(maxAdapterID)
        encoder.int(maxDomainID)
    }

    init(decoding decoder: inout PersistedDecoder) throws(PersistedStateError) {
        var names: [String] = []
        for index in 0..<(try decoder.count("engine.host.driver_names")) {
            names.append(try decoder.string("engine.host.driver_names[\(index)]"))
        }
        guard names.count >= 2, names.count <= 256, names[0] == "", names[1] == "vfio_ap" else {
            throw decoder.error(.invalidValue("driver names must start with \"\", \"vfio_ap\" and number at most 256"),
                                "engine.host.driver_names")
        }
        var queues: [QueueSlot] = []
        queues.reserveCapacity(65_536)
        while queues.count < 65_536 {
            let field = "engine.host.queues[\(queues.count)]"
            let length = try decoder.varint(field + ".run")
            guard length > 0, length <= UInt64(65_536 - queues.count) else {
                throw decoder.error(.invalidValue("run of \(length) queues from index \(queues.count)"), field)
            }
            let value = try decoder.varint(field + ".slot")
            let driver = value >> SlotBit.driverShift
            guard driver < UInt64(names.count) else {
                throw decoder.error(.invalidValue("driver id \(driver) of \(names.count) names"), field)
            }
            let slot = QueueSlot(
                present: value & SlotBit.present != 0, driver: UInt8(driver), configured: value & SlotBit.configured != 0,
                checkstopped: value & SlotBit.checkstopped != 0, resetFailed: value & SlotBit.resetFailed != 0)
            queues.append(contentsOf: repeatElement(slot, count: Int(length)))
        }
        var cards: [APID: CardSlot] = [:]
        for index in 0..<(try decoder.count("engine.host.cards", minimumSize: 4)) {
            let field = "engine.host.cards[\(index)]"
            let id = APID(try decoder.byte(field + ".id"))
            let type = try decoder.int(field + ".hwtype")
            let driver = try decoder.optional(field + ".driver") { decoder throws(PersistedStateError) in
                try decoder.string(field + ".driver")
            }
            cards[id] = CardSlot(hardwareType: type, driver: driver, configured: try decoder.bool(field + ".configured"))
        }
        let configuration = try decoder.matrix("engine.host.configuration")
        self.init(
            driverNames: names, queues: queues, cards: cards, configuration: configuration,
            apmask: try decoder.mask("engine.host.apmask"), aqmask: try decoder.mask("engine.host.aqmask"),
            maxAdapterID: try decoder.int("engine.host.max_adapter_id"), maxDomainID: try decoder.int("engine.host.max_domain_id"))
    }
}

extension MdevRecord {
    /// Guest holder tags.
    private enum GuestTag {
        static let none: UInt8 = 0
        static let named: UInt8 = 1
        static let unknown: UInt8 = 2
        /// A named guest whose hold the kernel has shown (``MdevRecord/holdSeenInUse``).
        static let namedSeenInUse: UInt8 = 3
        /// No or an unnamed guest, with ``MdevRecord/holdSeenInUse`` set.
        static let noneSeenInUse: UInt8 = 4
        static let unknownSeenInUse: UInt8 = 5
    }

    func encode(to encoder: inout PersistedEncoder) {
        encoder.uuid(uuid)
        encoder.matrix(assigned)
        encoder.matrix(shadow)
        encoder.bool(shadowIsStale)
        switch guest {
        case .none: encoder.byte(holdSeenInUse ? GuestTag.noneSeenInUse : GuestTag.none)
        case .named(let name):
            encoder.byte(holdSeenInUse ? GuestTag.namedSeenInUse : GuestTag.named)
            encoder.string(name)
        case .unknown: encoder.byte(holdSeenInUse ? GuestTag.unknownSeenInUse : GuestTag.unknown)
        }
        encoder.optional(observedGuestMatrix) { $0.matrix($1) }
        encoder.optional(blockerMatrix) { $0.matrix($1) }
        encoder.optional(requestedAssignment) { $0.matrix($1) }
        let refusals = reportedRefusals
        encoder.matrix(refusals.additions)
        encoder.varint(UInt64(refusals.hostOwned.count))
        for apqn in refusals.hostOwned { encoder.apqn(apqn) }
        encoder.varint(UInt64(refusals.heldElsewhere.count))
        for held in refusals.heldElsewhere {
            encoder.uuid(held.mdev)
            encoder.varint(UInt64(held.apqns.count))
            for apqn in held.apqns { encoder.apqn(apqn) }
        }
        encoder.matrix(refusals.beyondMaximum)
    }

    init(decoding decoder: inout PersistedDecoder, field: String) throws(PersistedStateError) {
        self.init(uuid: try decoder.uuid(field + ".uuid"))
        assigned = try decoder.matrix(field + ".assigned")
        shadow = try decoder.matrix(field + ".shadow")
        shadowIsStale = try decoder.bool(field + ".shadow_is_stale")
        switch try decoder.byte(field + ".guest") {
        case GuestTag.none: guest = .none
        case GuestTag.named: guest = .named(try decoder.string(field + ".guest.name"))
        case GuestTag.unknown: guest = .unknown
        case GuestTag.noneSeenInUse: (guest, holdSeenInUse) = (.none, true)
        case GuestTag.namedSeenInUse: (guest, holdSeenInUse) = (.named(try decoder.string(field + ".guest.name")), true)
        case GuestTag.unknownSeenInUse: (guest, holdSeenInUse) = (.unknown, true)
        case let tag: throw decoder.error(.invalidValue("guest tag \(tag)"), field + ".guest")
        }
        func optionalMatrix(_ name: String, _ decoder: inout PersistedDecoder) throws(PersistedStateError) -> APMatrix? {
            try decoder.optional(field + name) { decoder throws(PersistedStateError) in try decoder.matrix(field + name) }
        }
        observedGuestMatrix = try optionalMatrix(".observed_guest_matrix", &decoder)
        blockerMatrix = try optionalMatrix(".blocker_matrix", &decoder)
        requestedAssignment = try optionalMatrix(".requested_assignment", &decoder)
        var refusals = AssignmentPlan()
        refusals.additions = try decoder.matrix(field + ".reported_refusals.additions")
        for _ in 0..<(try decoder.count(field + ".reported_refusals.host_owned")) {
            refusals.hostOwned.append(try decoder.apqn(field + ".reported_refusals.host_owned"))
        }
        for index in 0..<(try decoder.count(field + ".reported_refusals.held_elsewhere", minimumSize: 38)) {
            let heldField = field + ".reported_refusals.held_elsewhere[\(index)]"
            let mdev = try decoder.uuid(heldField + ".mdev")
            var apqns: [APQN] = []
            for _ in 0..<(try decoder.count(heldField + ".apqns")) { apqns.append(try decoder.apqn(heldField + ".apqns")) }
            refusals.heldElsewhere.append(AssignmentPlan.HeldElsewhere(mdev: mdev, apqns: apqns))
        }
        refusals.beyondMaximum = try decoder.matrix(field + ".reported_refusals.beyond_maximum")
        reportedRefusals = refusals
    }
}
