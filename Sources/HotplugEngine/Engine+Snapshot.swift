import APModel

extension Engine {
    /// Applies a full picture of the host. The first one sets the scene
    /// (withheld adapters, divergences and blockers are reported); later ones
    /// are resyncs after lost events, reported as a `resync` decision followed
    /// by the plugs and unplugs the lost events would have caused.
    mutating func applySnapshot(_ snapshot: HostSnapshot, guests: [MdevUUID: String], seq: UInt64) -> [Decision] {
        let isResync = hasSnapshot
        hasSnapshot = true
        assignabilityChangedAt = seq
        let previous = mdevs
        // The snapshot already shows what the held events of an open scan did.
        scan = nil
        inferredConfiguration = APMatrix(adapters: APMask(), domains: APMask())
        host = HostModel(snapshot: snapshot)
        matrixDevicePresent = snapshot.matrixDevice != nil
        features = snapshot.matrixDevice?.features ?? []
        if let count = snapshot.bindingsCompleteCount { lastCompleteCount = count }

        var decisions: [Decision] = []
        if isResync {
            decisions.append(Decision(seq: seq, kind: .resync, cause: "host state re-read from sysfs after lost events"))
        }
        // mdevs that vanished while events were lost.
        for uuid in mdevOrder where !snapshot.mdevs.contains(where: { $0.uuid == uuid }) {
            if mdevs[known: uuid].guest.isAttached { decisions += guestDetached(uuid, seq: seq) }
            removeMdev(uuid, seq: seq)
        }
        for mdev in snapshot.mdevs {
            let uuid = mdev.uuid
            let old = previous[uuid]
            insertMdev(uuid, seq: seq)
            mdevs[known: uuid].assigned = mdev.assigned
            let guest: GuestHolder
            if let name = guests[uuid] {
                guest = .named(name)
            } else if mdev.inUse {
                guest = old.map { $0.guest.isAttached ? $0.guest : .unknown } ?? .unknown
            } else if let old, old.guest.isAttached, old.shadow.apqns.isEmpty {
                guest = old.guest  // an empty guest configuration never shows 'in use'
            } else {
                guest = .none
            }
            let shadow = filteredShadow(of: mdev.assigned)
            if let old {
                if old.guest.isAttached && !guest.isAttached { decisions += guestDetached(uuid, seq: seq) }
                mdevs[known: uuid].guest = guest
                mdevs[known: uuid].holdSeenInUse = guest.isAttached && (mdev.inUse || old.holdSeenInUse)
                decisions += conflicts(of: uuid, seq: seq)
                if shadow != old.shadow {
                    decisions += moveShadow(of: uuid, to: shadow, seq: seq, cause: "resync")
                }
                if guest.isAttached && mdevs[known: uuid].blockerMatrix == nil { decisions += raiseBlocker(uuid, seq: seq) }
            } else {
                mdevs[known: uuid].guest = guest
                mdevs[known: uuid].holdSeenInUse = guest.isAttached && mdev.inUse
                mdevs[known: uuid].shadow = shadow
                decisions += conflicts(of: uuid, seq: seq)
                let withheld = withheldAdapters(of: mdevs[known: uuid])
                if !withheld.isEmpty { decisions.append(withholdDecision(withheld, of: mdevs[known: uuid], seq: seq)) }
                decisions += raiseBlocker(uuid, seq: seq)
            }
            if let guestMatrix = mdev.guestMatrix {
                // `guest_matrix` lists APQNs only; the reader adds the control domains, which the
                // comparison does not cover (it would report a divergence for every mdev with any).
                decisions += guestMatrixObserved(
                    uuid, APMatrix(adapters: guestMatrix.adapters, domains: guestMatrix.domains), seq: seq)
            }
        }
        return decisions
    }
}
