import Foundation
import Glibc

/// Makes the real kernel emit synthetic uevents for `/devices/virtual/mem/null`
/// (`echo "change <uuid> KEY=V" > /sys/devices/virtual/mem/null/uevent`), so that a
/// `"kernel"` monitor can be tested over real netlink, without umockdev.
///
/// Needs root and a writable `/sys`; every event carries `SYNTH_UUID=<tag>`, so a
/// test recognises its own events among anything else the host emits.
enum KernelUeventTrigger {
    static let path = "/sys/devices/virtual/mem/null/uevent"
    static let devpath = "/devices/virtual/mem/null"
    static let subsystem = "mem"

    /// Nil when synthetic uevents can be triggered, else why not.
    static let unavailableReason: String? = {
        guard geteuid() == 0 else { return "needs root to write \(path)" }
        guard access(path, W_OK) == 0 else { return "\(path) is not writable (read-only /sys?)" }
        return nil
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    /// Emits one `change` event tagged `SYNTH_UUID=tag` with `SYNTH_ARG_SERIAL=serial`.
    static func emit(tag: UUID, serial: Int) throws {
        let line = "change \(tag.uuidString.lowercased()) SERIAL=\(serial)"
        let descriptor = open(path, O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let written = line.withCString { write(descriptor, $0, strlen($0)) }
        guard written >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}
