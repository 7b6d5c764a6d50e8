import APModel
import CTestSupport
import Foundation
import Glibc
import Posix
import Synchronization

/// Sends uevents over real netlink, as systemd-udevd re-broadcasts them: one
/// ``UeventDatagram`` (libudev's message format) per event, multicast to
/// `NETLINK_KOBJECT_UEVENT` group 2, where libudev's `"udev"` monitors listen.
///
/// The socket lives in the network namespace of another process (the program under
/// test, started in a private one with `unshare --net`), so the fake events reach
/// only that process, never the host's udev listeners. Multicast never blocks: a
/// listener whose receive buffer is full loses the message and sees `ENOBUFS`, exactly
/// as with udevd. Sending to a group needs `CAP_NET_ADMIN` (root); libudev accepts only
/// messages from uid 0.
public final class NetlinkUeventSender {
    /// libudev's `MONITOR_GROUP_UDEV`, as an `nl_groups` bit mask.
    public static let udevGroup: UInt32 = 2

    /// Whether the real-netlink tests run: as root, or in CI (`CI=true`), where a
    /// missing privilege is a broken pipeline that must fail the tests, not skip them.
    public static var shouldRun: Bool { geteuid() == 0 || UmockdevPreload.isCI }

    /// Why the real-netlink tests are skipped.
    public static let skipReason = "needs root for a private network namespace and netlink multicast"

    private let descriptor: Int32

    /// Opens the socket inside the network namespace of process `pid`.
    ///
    /// - Throws: ``HarnessError/systemCall(_:errno:)`` when the namespace cannot be entered
    ///   (not root, the process is gone) or the socket cannot be created.
    public init(networkNamespaceOf pid: Int32) throws {
        // setns(2) moves only the calling thread, so a thread of its own enters the
        // namespace, creates the socket (which stays in that namespace) and ends.
        let result = Mutex<Result<Int32, HarnessError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let outcome = Self.openSocket(inNamespaceOf: pid)
            result.withLock { $0 = outcome }
            done.signal()
        }
        thread.start()
        done.wait()
        descriptor = try result.withLock { $0! }.get()
    }

    deinit { close(descriptor) }

    /// Multicasts `event` to the udev group.
    public func send(_ event: Uevent) throws {
        let datagram = UeventDatagram.encode(event)
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_groups = Self.udevGroup
        do {
            _ = try Posix.retrying {
                datagram.withUnsafeBytes { bytes in
                    withUnsafePointer(to: &address) { pointer in
                        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                        }
                    }
                }
            }
        } catch {
            throw HarnessError.systemCall("sendto netlink group \(Self.udevGroup)", errno: error.rawValue)
        }
    }

    /// Multicasts `events` in order.
    public func send(_ events: [Uevent]) throws {
        for event in events { try send(event) }
    }

    private static func openSocket(inNamespaceOf pid: Int32) -> Result<Int32, HarnessError> {
        let namespacePath = "/proc/\(pid)/ns/net"
        let namespace = open(namespacePath, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { return .failure(.systemCall("open \(namespacePath)", errno: errno)) }
        defer { close(namespace) }
        guard aphp_enter_network_namespace(namespace) == 0 else {
            return .failure(.systemCall("setns \(namespacePath)", errno: errno))
        }
        let descriptor = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_KOBJECT_UEVENT)
        guard descriptor >= 0 else { return .failure(.systemCall("socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT)", errno: errno)) }
        return .success(descriptor)
    }
}
