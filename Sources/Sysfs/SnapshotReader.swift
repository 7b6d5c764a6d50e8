import APModel

/// Reads a ``HostSnapshot`` from a sysfs tree: the daemon's coldplug scan,
/// `--sysfs-root DIR` for replay, and a trace's snapshot record (through
/// ``MemorySysfsTree``) all use it.
///
/// What it reads (paths relative to the sysfs root):
/// - `bus/ap/`: `apmask`, `aqmask`, `ap_max_adapter_id`, `ap_max_domain_id`
///   and `ap_adapter_mask` (required); `ap_usage_domain_mask` and
///   `ap_control_domain_mask` unless the adapter mask reads `not supported`
///   (no QCI: `hostConfiguration` is nil); `scans` (1 when absent, as on
///   kernels without it there is no INITSCAN to wait for) and
///   `bindings_complete_count` (v6.19+).
/// - each `devices/ap/cardAA`: `hwtype` (required), `config`, `chkstop`, and
///   the `driver` link (its basename is the driver).
/// - each `devices/ap/cardAA/AA.DDDD`: the `driver` link, `config`, `chkstop`:
///   the same three questions per queue as `tools/coldplug-floor.c`.
/// - `devices/vfio_ap/matrix`: present when its `driver` link exists (the
///   matrix device is bound while vfio_ap is loaded; `features` and mdevs
///   exist only then); `features` tokens, empty when absent.
/// - each mdev (a subdirectory of the matrix device named by a UUID):
///   `matrix` (required), `control_domains` (empty when absent) and
///   `guest_matrix` (absent on pre-6.0 kernels → nil). The guest's control
///   domains are not in `guest_matrix`; they are the kernel's
///   `assigned ∩ host control domains` (assigned, without QCI).
///
/// **In use.** An mdev is in use when a vfio_ap queue of its assigned matrix
/// reads `in use` in `status`. One read decides: the first vfio_ap-bound
/// queue of the guest matrix (else of the assigned matrix) with a readable
/// `status`, because the kernel shows `in use` on every queue of an
/// attached mdev's guest matrix (on ≤ 6.3 and pre-6.0 kernels, on every
/// assigned queue).
///
/// Missing optional attributes take the defaults above; any other error, a
/// missing required attribute and malformed content are thrown. Unknown files
/// and directories (`uevent`, `subsystem`, `power`, `mdev_supported_types`,
/// `vfio-dev`, …) are ignored. Cards and queues come out ascending, mdevs by
/// UUID.
public struct SnapshotReader<Tree: SysfsTree> {
    public let tree: Tree

    public init(tree: Tree) { self.tree = tree }

    /// Reads the whole snapshot.
    ///
    /// - Throws: ``SnapshotError/noAPBus(path:)`` when `bus/ap` is missing,
    ///   ``SnapshotError/unreadable(_:)`` with the path and errno of a
    ///   required attribute that could not be read,
    ///   ``SnapshotError/malformed(path:value:expected:)`` for content not in
    ///   the kernel's format.
    public func read() throws(SnapshotError) -> HostSnapshot {
        let apmaskText: String
        do {
            apmaskText = try tree.readAttribute("bus/ap/apmask")
        } catch {
            if error.code == .notFound && !tree.exists("bus/ap") { throw .noAPBus(path: tree.displayPath(of: "bus/ap")) }
            throw .unreadable(error)
        }
        var snapshot = HostSnapshot()
        snapshot.apmask = try mask("bus/ap/apmask", apmaskText)
        snapshot.aqmask = try mask("bus/ap/aqmask", required("bus/ap/aqmask"))
        snapshot.maxAdapterID = try maximumID("bus/ap/ap_max_adapter_id", required("bus/ap/ap_max_adapter_id"))
        snapshot.maxDomainID = try maximumID("bus/ap/ap_max_domain_id", required("bus/ap/ap_max_domain_id"))
        snapshot.hostConfiguration = try hostConfiguration()
        snapshot.scans = try optional("bus/ap/scans").map { text throws(SnapshotError) in try counter("bus/ap/scans", text) } ?? 1
        snapshot.bindingsCompleteCount = try optional("bus/ap/bindings_complete_count").map { text throws(SnapshotError) in
            try counter("bus/ap/bindings_complete_count", text)
        }
        (snapshot.cards, snapshot.queues) = try cardsAndQueues()
        if try optionalLink("devices/vfio_ap/matrix/driver") != nil {
            let features = try optional("devices/vfio_ap/matrix/features") ?? ""
            snapshot.matrixDevice = HostSnapshot.MatrixDevice(features: features.split(whereSeparator: \.isWhitespace).map(String.init))
            snapshot.mdevs = try mdevs(queues: snapshot.queues, hostConfiguration: snapshot.hostConfiguration)
        }
        return snapshot
    }

    // MARK: Bus

    private func hostConfiguration() throws(SnapshotError) -> APMatrix? {
        let adapterText = try required("bus/ap/ap_adapter_mask")
        if trimmed(adapterText) == "not supported" { return nil }
        return APMatrix(
            adapters: try mask("bus/ap/ap_adapter_mask", adapterText),
            domains: try mask("bus/ap/ap_usage_domain_mask", required("bus/ap/ap_usage_domain_mask")),
            controlDomains: try mask("bus/ap/ap_control_domain_mask", required("bus/ap/ap_control_domain_mask"))
        )
    }

    // MARK: Cards and queues

    private func cardsAndQueues() throws(SnapshotError) -> ([HostSnapshot.Card], [HostSnapshot.Queue]) {
        var cardNames: [(id: APID, name: String)] = []
        for name in try optionalList("devices/ap") ?? [] {
            if let id = APID(cardName: Substring(name)) { cardNames.append((id, name)) }
        }
        cardNames.sort { $0.id < $1.id }
        var cards: [HostSnapshot.Card] = []
        var queues: [HostSnapshot.Queue] = []
        cards.reserveCapacity(cardNames.count)
        for (id, name) in cardNames {
            let directory = "devices/ap/" + name + "/"
            cards.append(HostSnapshot.Card(
                id: id,
                hardwareType: try integer(directory + "hwtype", required(directory + "hwtype")),
                driver: try optionalLink(directory + "driver").map(driverName(fromLink:)),
                configured: try flag(directory + "config", default: true),
                checkstopped: try flag(directory + "chkstop", default: false)
            ))
            var queueNames: [(apqn: APQN, name: String)] = []
            for entry in try list(String(directory.dropLast())) {
                if let apqn = APQN(Substring(entry)), apqn.adapter == id { queueNames.append((apqn, entry)) }
            }
            queueNames.sort { $0.apqn < $1.apqn }
            queues.reserveCapacity(queues.count + queueNames.count)
            for (apqn, entry) in queueNames {
                let queue = directory + entry + "/"
                queues.append(HostSnapshot.Queue(
                    apqn: apqn,
                    driver: try optionalLink(queue + "driver").map(driverName(fromLink:)),
                    configured: try flag(queue + "config", default: true),
                    checkstopped: try flag(queue + "chkstop", default: false)
                ))
            }
        }
        return (cards, queues)
    }

    // MARK: Mediated devices

    private func mdevs(queues: [HostSnapshot.Queue], hostConfiguration: APMatrix?) throws(SnapshotError) -> [HostSnapshot.Mdev] {
        var entries: [(uuid: MdevUUID, name: String)] = []
        for name in try list("devices/vfio_ap/matrix") {
            if let uuid = MdevUUID(name) { entries.append((uuid, name)) }
        }
        guard !entries.isEmpty else { return [] }
        entries.sort { $0.uuid < $1.uuid }
        var vfioBound = Set<APQN>()
        for queue in queues where queue.driver == "vfio_ap" { vfioBound.insert(queue.apqn) }
        var mdevs: [HostSnapshot.Mdev] = []
        for (uuid, name) in entries {
            let directory = "devices/vfio_ap/matrix/" + name + "/"
            let controlDomains = try optional(directory + "control_domains").map { text throws(SnapshotError) in
                try parse(directory + "control_domains", text) { text throws(MatrixTextError) in
                    try APMatrix.controlDomains(fromText: text)
                }
            } ?? APMask()
            let assigned = try parse(directory + "matrix", required(directory + "matrix")) { text throws(MatrixTextError) in
                try APMatrix(matrixText: text, controlDomains: controlDomains)
            }
            let guestControlDomains = hostConfiguration.map { controlDomains.intersection($0.controlDomains) } ?? controlDomains
            let guestMatrix = try optional(directory + "guest_matrix").map { text throws(SnapshotError) in
                try parse(directory + "guest_matrix", text) { text throws(MatrixTextError) in
                    try APMatrix(matrixText: text, controlDomains: guestControlDomains)
                }
            }
            let inUse = try isInUse(assigned: assigned, guest: guestMatrix, vfioBound: vfioBound)
            mdevs.append(HostSnapshot.Mdev(uuid: uuid, assigned: assigned, guestMatrix: guestMatrix, inUse: inUse))
        }
        return mdevs
    }

    /// The `status` of the first vfio_ap-bound queue of the guest matrix,
    /// else of the assigned matrix, that has one (see the type's discussion).
    private func isInUse(assigned: APMatrix, guest: APMatrix?, vfioBound: Set<APQN>) throws(SnapshotError) -> Bool {
        let inGuest = guest.map {
            APMatrix(adapters: $0.adapters.intersection(assigned.adapters), domains: $0.domains.intersection(assigned.domains))
        } ?? APMatrix()
        for apqn in inGuest.apqns where vfioBound.contains(apqn) {
            if let status = try optional(Self.statusPath(apqn)) { return trimmed(status) == "in use" }
        }
        for apqn in assigned.apqns where vfioBound.contains(apqn) && !inGuest.contains(apqn) {
            if let status = try optional(Self.statusPath(apqn)) { return trimmed(status) == "in use" }
        }
        return false
    }

    private static func statusPath(_ apqn: APQN) -> String {
        "devices/ap/" + apqn.adapter.cardName + "/" + apqn.description + "/status"
    }

    // MARK: Reading

    private func required(_ path: String) throws(SnapshotError) -> String {
        do {
            return try tree.readAttribute(path)
        } catch {
            throw .unreadable(error)
        }
    }

    private func optional(_ path: String) throws(SnapshotError) -> String? {
        do {
            return try tree.readOptionalAttribute(path)
        } catch {
            throw .unreadable(error)
        }
    }

    private func optionalLink(_ path: String) throws(SnapshotError) -> String? {
        do {
            return try tree.readOptionalLink(path)
        } catch {
            throw .unreadable(error)
        }
    }

    private func list(_ path: String) throws(SnapshotError) -> [String] {
        do {
            return try tree.listDirectory(path)
        } catch {
            throw .unreadable(error)
        }
    }

    private func optionalList(_ path: String) throws(SnapshotError) -> [String]? {
        do {
            return try tree.listDirectory(path)
        } catch where error.code == .notFound {
            return nil
        } catch {
            throw .unreadable(error)
        }
    }

    // MARK: Parsing

    private func mask(_ path: String, _ text: String) throws(SnapshotError) -> APMask {
        do {
            return try APMask(sysfsHex: text)
        } catch {
            throw .malformed(path: tree.displayPath(of: path), value: text, expected: "a mask 0x<64 hex digits> (\(error))")
        }
    }

    private func integer(_ path: String, _ text: String) throws(SnapshotError) -> Int {
        guard let value = Int(trimmed(text)) else {
            throw .malformed(path: tree.displayPath(of: path), value: text, expected: "a decimal number")
        }
        return value
    }

    /// `ap_max_adapter_id` / `ap_max_domain_id`: an AP id, 0…255.
    private func maximumID(_ path: String, _ text: String) throws(SnapshotError) -> Int {
        guard let value = Int(trimmed(text)), (0...255).contains(value) else {
            throw .malformed(path: tree.displayPath(of: path), value: text, expected: "a decimal AP id from 0 to 255")
        }
        return value
    }

    private func counter(_ path: String, _ text: String) throws(SnapshotError) -> UInt64 {
        guard let value = UInt64(trimmed(text)) else {
            throw .malformed(path: tree.displayPath(of: path), value: text, expected: "a decimal counter")
        }
        return value
    }

    /// `config`/`chkstop`: `0` or `1`; `fallback` when the attribute is absent.
    private func flag(_ path: String, default fallback: Bool) throws(SnapshotError) -> Bool {
        guard let text = try optional(path) else { return fallback }
        switch trimmed(text) {
        case "0": return false
        case "1": return true
        default: throw .malformed(path: tree.displayPath(of: path), value: text, expected: "0 or 1")
        }
    }

    private func parse<Value>(
        _ path: String, _ text: String, _ body: (String) throws(MatrixTextError) -> Value
    ) throws(SnapshotError) -> Value {
        do {
            return try body(text)
        } catch {
            throw .malformed(path: tree.displayPath(of: path), value: text, expected: "the kernel's format (\(error))")
        }
    }

    /// `text` without trailing spaces, tabs, CRs and newlines (byte-wise: this runs per queue).
    private func trimmed(_ text: String) -> Substring {
        let bytes = text.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex {
            let previous = bytes.index(before: end)
            switch bytes[previous] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): end = previous
            default: return Substring(bytes[..<end])
            }
        }
        return Substring(bytes[..<end])
    }
}

/// The driver's name from a `driver` link: `../../../bus/ap/drivers/vfio_ap` → `vfio_ap`.
private func driverName(fromLink target: String) -> String {
    guard let slash = target.lastIndex(of: "/") else { return target }
    return String(target[target.index(after: slash)...])
}
