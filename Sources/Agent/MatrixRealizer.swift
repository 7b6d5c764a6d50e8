import APModel
import HotplugEngine
import Sysfs

/// Carries out the engine's `assign` decisions on the kernel (design.md,
/// "Realizer"): `--mode enforce` writes them, `--mode dry-run` only says what
/// it would write.
///
/// One decision is one change of the mdev's assignment, never a partial one:
/// - through `ap_config` (one atomic write of all three masks) when the matrix
///   device's `features` lists it, else through `assign_adapter`,
///   `assign_domain` and `assign_control_domain` writes, each of which the
///   kernel validates against the whole resulting matrix;
/// - under s390-tools' configuration lock (``S390APConfigLock``), with the
///   current assignment read after the lock is taken, so that a concurrent
///   mdevctl or chzdev change is extended, not overwritten;
/// - read back and checked before the lock is released.
///
/// A refused write is reported with the attribute, the errno and what the
/// kernel means by it: a `conflict` when the kernel names a sharing or
/// ownership conflict (EADDRINUSE, EADDRNOTAVAIL, EBUSY), else an `anomaly`.
/// The write is not repeated: the engine asks again once the read-back or a
/// later event changes what can be assigned.
public struct MatrixRealizer: Sendable {
    /// Whether writes happen.
    public enum Mode: Sendable {
        /// Write, under the lock, and read back.
        case enforce
        /// Only report the writes.
        case dryRun
    }

    /// One sysfs write: a path relative to the sysfs root and the value.
    public struct Write: Hashable, Sendable {
        public var path: String
        public var value: String
    }

    /// What carrying out one decision did.
    public struct Outcome: Sendable {
        /// The writes made (enforce) or that would be made (dry-run), in order.
        public var writes: [Write] = []
        /// A refused write, a failed read-back check or an unavailable lock, as a decision.
        public var failure: Decision?
        /// Whether nothing was tried because the lock stayed busy: worth trying again later.
        public var lockWasBusy = false

        public init(writes: [Write] = [], failure: Decision? = nil, lockWasBusy: Bool = false) {
            self.writes = writes
            self.failure = failure
            self.lockWasBusy = lockWasBusy
        }
    }

    public let mode: Mode
    private let tree: any SysfsTree & Sendable
    private let writer: any SysfsWriter & Sendable
    private let lock: S390APConfigLock

    public init(mode: Mode, tree: any SysfsTree & Sendable, writer: any SysfsWriter & Sendable, lock: S390APConfigLock) {
        self.mode = mode
        self.tree = tree
        self.writer = writer
        self.lock = lock
    }

    /// Says on standard error what `outcome` wrote, or in a dry run would have written
    /// (`wrote /sys/devices/vfio_ap/matrix/<uuid>/assign_domain: 0x6`).
    public func logWrites(of outcome: Outcome) {
        let verb: String
        switch mode {
        case .enforce: verb = "wrote"
        case .dryRun: verb = "dry run: would write"
        }
        for write in outcome.writes {
            var value = Substring(write.value)
            while value.hasSuffix("\n") { value = value.dropLast() }
            StandardStream.log("\(verb) /sys/\(write.path): \(value)")
        }
    }

    /// Whether `outcome` changed the kernel's assignment: then the mdev is worth
    /// reading back at once (the kernel may have plugged what was just assigned).
    public func changedAssignment(_ outcome: Outcome) -> Bool {
        switch mode {
        case .enforce: return !outcome.writes.isEmpty
        case .dryRun: return false
        }
    }

    /// The writes that add `additions` to an mdev whose assignment is `current`:
    /// one `ap_config` write, or one assign_* write per new id (adapters, then
    /// domains, then control domains, ascending; hex with `0x` as the kernel's
    /// `kstrtoul(…, 0)` reads it).
    public static func writes(adding additions: APMatrix, to current: APMatrix, of uuid: MdevUUID, useAPConfig: Bool) -> [Write] {
        let directory = "devices/vfio_ap/matrix/\(uuid)/"
        if useAPConfig {
            let target = APMatrix(
                adapters: current.adapters.union(additions.adapters), domains: current.domains.union(additions.domains),
                controlDomains: current.controlDomains.union(additions.controlDomains))
            return target == current ? [] : [Write(path: directory + "ap_config", value: target.apConfigText)]
        }
        var writes: [Write] = []
        for adapter in additions.adapters.subtracting(current.adapters) {
            writes.append(Write(path: directory + "assign_adapter", value: "0x\(APID(adapter))\n"))
        }
        for domain in additions.domains.subtracting(current.domains) {
            writes.append(Write(path: directory + "assign_domain", value: "0x\(APQI(domain))\n"))
        }
        for domain in additions.controlDomains.subtracting(current.controlDomains) {
            writes.append(Write(path: directory + "assign_control_domain", value: "0x\(APQI(domain))\n"))
        }
        return writes
    }

    /// Carries out `decision` if it is an `assign`; other kinds need no write.
    public func realize(_ decision: Decision) async -> Outcome {
        guard decision.kind == .assign, let uuid = decision.mdev else { return Outcome() }
        let additions = APMatrix(
            adapters: APMask(decision.adapters.map(\.rawValue)), domains: APMask(decision.domains.map(\.rawValue)),
            controlDomains: APMask(decision.controlDomains.map(\.rawValue)))
        func failed(_ kind: Decision.Kind, _ cause: String) -> Decision {
            Decision(seq: decision.seq, kind: kind, mdev: uuid, guest: decision.guest, apqns: decision.apqns, cause: cause)
        }
        switch mode {
        case .dryRun:
            do throws(RealizerReadError) {
                let useAPConfig = try usesAPConfig()
                return Outcome(writes: Self.writes(
                    adding: additions, to: try currentAssignment(of: uuid, useAPConfig: useAPConfig), of: uuid,
                    useAPConfig: useAPConfig))
            } catch {
                return Outcome(failure: failed(.anomaly, "dry run: \(error.description); cannot tell what would be written"))
            }
        case .enforce:
            do throws(S390APConfigLockError) {
                try await lock.acquire()
            } catch {
                return Outcome(
                    failure: failed(.anomaly, "nothing written yet: cannot take the s390 AP configuration lock: \(error)"),
                    lockWasBusy: error.code == .timedOut)
            }
            defer { lock.release() }
            return write(additions, to: uuid, failed: failed)
        }
    }

    /// The locked part of enforce: read, write, read back.
    private func write(_ additions: APMatrix, to uuid: MdevUUID, failed: (Decision.Kind, String) -> Decision) -> Outcome {
        var outcome = Outcome()
        let current: APMatrix
        let useAPConfig: Bool
        do throws(RealizerReadError) {
            useAPConfig = try usesAPConfig()
            current = try currentAssignment(of: uuid, useAPConfig: useAPConfig)
        } catch {
            outcome.failure = failed(.anomaly, "nothing written: \(error.description)")
            return outcome
        }
        for write in Self.writes(adding: additions, to: current, of: uuid, useAPConfig: useAPConfig) {
            do {
                try writer.writeAttribute(write.path, write.value)
                outcome.writes.append(write)
            } catch {
                let kind: Decision.Kind
                switch error.code {
                case .addressInUse, .addressNotAvailable, .busy: kind = .conflict
                case .notFound, .permissionDenied, .invalid, .noDevice, .other: kind = .anomaly
                }
                outcome.failure = failed(kind, error.description)
                return outcome
            }
        }
        do throws(RealizerReadError) {
            let after = try currentAssignment(of: uuid, useAPConfig: useAPConfig)
            let expected = APMatrix(
                adapters: current.adapters.union(additions.adapters), domains: current.domains.union(additions.domains),
                controlDomains: current.controlDomains.union(additions.controlDomains))
            if !(expected.adapters.isSubset(of: after.adapters) && expected.domains.isSubset(of: after.domains)
                && expected.controlDomains.isSubset(of: after.controlDomains)) {
                outcome.failure = failed(.anomaly, "the kernel accepted the writes, but the read-back assignment lacks some of the ids written")
            }
        } catch {
            outcome.failure = failed(.anomaly, "the writes were accepted but cannot be read back: \(error.description)")
        }
        return outcome
    }

    /// Whether the matrix device's `features` lists `ap_config` (kernels ~6.12+).
    private func usesAPConfig() throws(RealizerReadError) -> Bool {
        let features: String
        do {
            features = try tree.readOptionalAttribute("devices/vfio_ap/matrix/features") ?? ""
        } catch {
            throw RealizerReadError(description: error.description)
        }
        return features.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("ap_config")
    }

    /// The mdev's assignment as the kernel shows it now.
    private func currentAssignment(of uuid: MdevUUID, useAPConfig: Bool) throws(RealizerReadError) -> APMatrix {
        let directory = "devices/vfio_ap/matrix/\(uuid)/"
        do {
            if useAPConfig { return try APMatrix(apConfigText: try tree.readAttribute(directory + "ap_config")) }
            let controlDomains = try APMatrix.controlDomains(fromText: try tree.readAttribute(directory + "control_domains"))
            return try APMatrix(matrixText: try tree.readAttribute(directory + "matrix"), controlDomains: controlDomains)
        } catch let error as SysfsError {
            throw RealizerReadError(description: error.description)
        } catch {
            throw RealizerReadError(description: "mdev \(uuid): \(error)")
        }
    }
}

/// The current assignment of an mdev could not be read or parsed.
struct RealizerReadError: Error, CustomStringConvertible {
    var description: String
}
