import APModel
import APTestSupport
import Glibc
import Sysfs
import Testing

@Suite struct SnapshotReaderTests {
    private func read(_ root: String) throws(SnapshotError) -> HostSnapshot {
        let tree: DirectorySysfsTree
        do {
            tree = try DirectorySysfsTree(root: root)
        } catch {
            throw .unreadable(error)
        }
        return try SnapshotReader(tree: tree).read()
    }

    private func readError(_ root: String) -> SnapshotError? {
        do {
            _ = try read(root)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Trees written by SysfsTreeWriter

    @Test func typicalSnapshotReadsBack() throws {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            #expect(try read(root) == SnapshotSamples.typical)
        }
    }

    @Test(arguments: 0..<60)
    func randomSnapshotsReadBack(seed: UInt64) throws {
        let snapshot = SnapshotSamples.random(seed: seed)
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(snapshot, to: root)
            let read = try read(root)
            #expect(read == snapshot, "seed \(seed)")
        }
    }

    @Test func randomSnapshotsCoverTheInterestingCases() {
        let snapshots = (0..<60).map { SnapshotSamples.random(seed: UInt64($0)) }
        let mdevs = snapshots.flatMap(\.mdevs)
        #expect(snapshots.contains { $0.hostConfiguration == nil })
        #expect(snapshots.contains { $0.matrixDevice?.features.isEmpty == true })
        #expect(mdevs.contains { $0.inUse })
        #expect(mdevs.contains { !$0.inUse })
        #expect(mdevs.contains { $0.guestMatrix == nil })
        #expect(snapshots.flatMap(\.queues).contains { $0.driver == nil })
    }

    @Test func recordedImageReplaysToTheSameSnapshot() throws {
        for seed in 0..<20 {
            let snapshot = seed == 0 ? SnapshotSamples.typical : SnapshotSamples.random(seed: UInt64(1000 + seed))
            try withTemporaryDirectory { root throws in
                try SysfsTreeWriter.write(snapshot, to: root)
                let recording = RecordingSysfsTree(try DirectorySysfsTree(root: root))
                #expect(try SnapshotReader(tree: recording).read() == snapshot)
                let replayed = try SnapshotReader(tree: MemorySysfsTree(recording.image)).read()
                #expect(replayed == snapshot, "seed \(seed)")
            }
        }
    }

    @Test func typicalSnapshotRecordsOnlyWhatItNeeds() throws {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            let recording = RecordingSysfsTree(try DirectorySysfsTree(root: root))
            _ = try SnapshotReader(tree: recording).read()
            #expect(recording.image.files["bus/ap/apmask"] == SnapshotSamples.typical.apmask.sysfsHex + "\n")
            #expect(recording.image.links["devices/ap/card05/05.0004/driver"] == "../../../../bus/ap/drivers/vfio_ap")
            // One status read decides that the first mdev is in use; the idle one needs one too.
            let statuses = recording.image.files.keys.filter { $0.hasSuffix("/status") }.sorted()
            #expect(statuses == ["devices/ap/card05/05.0004/status", "devices/ap/card06/06.0004/status"])
            #expect(recording.image.files.keys.contains { $0.hasSuffix("/request_count") } == false)
        }
    }

    // MARK: Hand-made trees

    /// The least a tree can hold: the required bus attributes.
    private func writeMinimalTree(_ root: String) throws {
        let files: [String: String] = [
            "bus/ap/apmask": APMask.all.sysfsHex + "\n",
            "bus/ap/aqmask": APMask([0, 1]).sysfsHex + "\n",
            "bus/ap/ap_max_adapter_id": "63\n",
            "bus/ap/ap_max_domain_id": "15\n",
            "bus/ap/ap_adapter_mask": "not supported\n",
        ]
        for (path, content) in files { try write(root, path, content) }
    }

    private func write(_ root: String, _ path: String, _ content: String) throws {
        try makeParents(root, path)
        let full = root + "/" + path
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        _ = content.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }

    private func link(_ root: String, _ path: String, _ target: String) throws {
        try makeParents(root, path)
        try #require(symlink(target, root + "/" + path) == 0)
    }

    private func makeDirectory(_ root: String, _ path: String) throws {
        try makeParents(root, path + "/x")
    }

    private func makeParents(_ root: String, _ path: String) throws {
        var current = root
        for component in path.split(separator: "/").dropLast() {
            current += "/" + component
            mkdir(current, 0o755)
        }
    }

    @Test func minimalTreeTakesDefaults() throws {
        try withTemporaryDirectory { root throws in
            try writeMinimalTree(root)
            #expect(try read(root) == HostSnapshot(
                hostConfiguration: nil, apmask: .all, aqmask: APMask([0, 1]), maxAdapterID: 63, maxDomainID: 15,
                scans: 1, bindingsCompleteCount: nil
            ))
        }
    }

    @Test func devicesWithoutOptionalAttributes() throws {
        try withTemporaryDirectory { root throws in
            try writeMinimalTree(root)
            try write(root, "devices/ap/card0a/hwtype", "11\n")
            try makeDirectory(root, "devices/ap/card0a/0a.0001")
            try write(root, "devices/ap/card0a/0a.0000/config", "0\n")
            try link(root, "devices/ap/card0a/0a.0000/driver", "../../../../bus/ap/drivers/cex4queue")
            let snapshot = try read(root)
            #expect(snapshot.cards == [HostSnapshot.Card(id: APID(10), hardwareType: 11, driver: nil)])
            #expect(snapshot.queues == [
                HostSnapshot.Queue(apqn: APQN(adapter: 10, domain: 0), driver: "cex4queue", configured: false),
                HostSnapshot.Queue(apqn: APQN(adapter: 10, domain: 1), driver: nil),
            ])
            #expect(snapshot.matrixDevice == nil)
        }
    }

    @Test func unknownFilesAndDirectoriesAreIgnored() throws {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            try makeDirectory(root, "devices/ap/power")
            try write(root, "devices/ap/power/control", "auto\n")
            try makeDirectory(root, "devices/ap/cardzz")
            try makeDirectory(root, "devices/ap/card05/power")
            try makeDirectory(root, "devices/ap/card05/06.0004")
            try makeDirectory(root, "devices/ap/card05/05.0004x")
            try makeDirectory(root, "devices/vfio_ap/matrix/power")
            try makeDirectory(root, "devices/vfio_ap/matrix/0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d6")
            try write(root, "devices/vfio_ap/matrix/\(SnapshotSamples.uuid1)/vfio-dev/vfio7/dev", "511:7\n")
            #expect(try read(root) == SnapshotSamples.typical)
        }
    }

    @Test func notSupportedMeansNoHostConfiguration() throws {
        var snapshot = SnapshotSamples.typical
        snapshot.hostConfiguration = nil
        // Without QCI the guest keeps every assigned control domain.
        let assignedControl = snapshot.mdevs[0].assigned.controlDomains
        snapshot.mdevs[0].guestMatrix?.controlDomains = assignedControl
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(snapshot, to: root)
            #expect(try read(root) == snapshot)
        }
    }

    @Test func preDynamicMdevHasNoGuestMatrix() throws {
        var snapshot = SnapshotSamples.typical
        snapshot.matrixDevice = HostSnapshot.MatrixDevice(features: [])
        for index in snapshot.mdevs.indices { snapshot.mdevs[index].guestMatrix = nil }
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(snapshot, to: root)
            let uuid = SnapshotSamples.uuid1.description
            #expect(access(root + "/devices/vfio_ap/matrix/\(uuid)/guest_matrix", F_OK) != 0)
            #expect(access(root + "/devices/vfio_ap/matrix/features", F_OK) != 0)
            let read = try read(root)
            #expect(read == snapshot)
            #expect(read.mdevs.map(\.inUse) == [true, false])
        }
    }

    @Test func inUseFollowsTheGuestQueueStatus() throws {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            try write(root, "devices/ap/card05/05.0004/status", "assigned\n")
            #expect(try read(root).mdevs.map(\.inUse) == [false, false])
            try write(root, "devices/ap/card06/06.0004/status", "in use\n")
            #expect(try read(root).mdevs.map(\.inUse) == [false, true])
        }
    }

    @Test func matrixDeviceWithoutDriverLinkIsAbsent() throws {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            try #require(unlink(root + "/devices/vfio_ap/matrix/driver") == 0)
            let read = try read(root)
            #expect(read.matrixDevice == nil)
            #expect(read.mdevs.isEmpty)
        }
    }

    @Test func missingAPBusIsAClearError() throws {
        try withTemporaryDirectory { root throws in
            try makeDirectory(root, "devices/system")
            let error = readError(root)
            #expect(error == .noAPBus(path: root + "/bus/ap"))
            #expect(error?.description.hasPrefix("no AP bus: \(root)/bus/ap does not exist") == true)
        }
    }

    @Test func busWithoutApmaskIsUnreadableNotMissing() throws {
        try withTemporaryDirectory { root throws in
            try writeMinimalTree(root)
            try #require(unlink(root + "/bus/ap/apmask") == 0)
            #expect(readError(root) == .unreadable(
                SysfsError(operation: .read, path: root + "/bus/ap/apmask", errno: ENOENT)
            ))
        }
    }

    @Test func unreadableRequiredAttributeNamesPathAndErrno() throws {
        try withTemporaryDirectory { root throws in
            try writeMinimalTree(root)
            try #require(unlink(root + "/bus/ap/aqmask") == 0)
            try makeDirectory(root, "bus/ap/aqmask")
            let error = readError(root)
            #expect(error == .unreadable(SysfsError(operation: .read, path: root + "/bus/ap/aqmask", errno: EISDIR)))
            #expect(error?.description == "cannot read \(root)/bus/ap/aqmask: is a directory (EISDIR)")
        }
    }

    @Test func unreadableOptionalAttributeIsStillAnError() throws {
        try withTemporaryDirectory { root throws in
            try writeMinimalTree(root)
            try makeDirectory(root, "bus/ap/scans")
            #expect(readError(root) == .unreadable(
                SysfsError(operation: .read, path: root + "/bus/ap/scans", errno: EISDIR)
            ))
        }
    }

    @Test func missingCardTypeIsAnError() throws {
        try withTemporaryDirectory { root throws in
            try writeMinimalTree(root)
            try write(root, "devices/ap/card05/config", "1\n")
            #expect(readError(root) == .unreadable(
                SysfsError(operation: .read, path: root + "/devices/ap/card05/hwtype", errno: ENOENT)
            ))
        }
    }

    @Test func missingMdevMatrixIsAnError() throws {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            let path = root + "/devices/vfio_ap/matrix/\(SnapshotSamples.uuid2)/matrix"
            try #require(unlink(path) == 0)
            #expect(readError(root) == .unreadable(SysfsError(operation: .read, path: path, errno: ENOENT)))
        }
    }

    @Test(arguments: [
        ("bus/ap/apmask", "0xzz\n"),
        ("bus/ap/ap_max_domain_id", "lots\n"),
        ("bus/ap/scans", "-1\n"),
        ("devices/ap/card04/chkstop", "2\n"),
        ("devices/ap/card04/04.0006/config", "yes\n"),
        ("devices/vfio_ap/matrix/0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60/matrix", "05.0004\nbogus\n"),
        ("devices/vfio_ap/matrix/0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60/control_domains", "0004\nxyz\n"),
        ("devices/vfio_ap/matrix/0b5e2c7a-4f61-4e8e-9d3b-7c1a2f4e5d60/guest_matrix", "5.4.3\n"),
    ])
    func malformedContentNamesPathAndValue(path: String, value: String) throws {
        try withTemporaryDirectory { root throws in
            try SysfsTreeWriter.write(SnapshotSamples.typical, to: root)
            try write(root, path, value)
            guard case .malformed(let errorPath, let errorValue, _)? = readError(root) else {
                Issue.record("expected a malformed error for \(path)")
                return
            }
            #expect(errorPath == root + "/" + path)
            #expect(errorValue == value)
        }
    }

    @Test func malformedDescription() {
        let error = SnapshotError.malformed(path: "/sys/bus/ap/scans", value: "x\n", expected: "a decimal counter")
        #expect(error.description == "/sys/bus/ap/scans holds 'x\\n', expected a decimal counter")
    }
}
