import APTestSupport
import Glibc
import Simulator

/// The full-scale host of ``FullScaleFlip`` (256 × 256 = 65,536 queues) written once as
/// a sysfs tree into an umockdev testbed, on tmpfs (`/dev/shm`) when writable, never in
/// the repository. The coldplug benchmark reads `<testbed>/sys` directly; the live
/// benchmark runs the daemon on it under umockdev. Removed when released.
final class FullScaleTestbed {
    let flip: FullScaleFlip
    let testbed: UmockdevTestbed
    private(set) var tree: SimulatedSysfsTree

    /// Where benchmark testbeds go: tmpfs (`/dev/shm`) when writable, else `UmockdevTestbed`'s default.
    static let base: String? = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : nil

    init(flip: FullScaleFlip) throws {
        self.flip = flip
        testbed = try UmockdevTestbed(in: Self.base)
        let start = ContinuousClock.now
        tree = try SimulatedSysfsTree(root: testbed.sysRoot, kernel: flip.initial)
        print("tree: \(flip.initial.queueIDs.count) queues written to \(testbed.sysRoot) in \(milliseconds(ContinuousClock.now - start)) ms")
    }

    /// Rewrites the tree to the host after the flip (what the kernel shows once it is done).
    func applyFlip() throws {
        try tree.update(from: flip.final, touched: flip.touched)
    }

    /// Rewrites the tree to the host before the flip.
    func resetFlip() throws {
        try tree.update(from: flip.initial, touched: flip.touched)
    }
}
