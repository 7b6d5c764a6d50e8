import APModel
import Agent
import ArgumentParser
import Glibc
import Posix
import Udev

/// `aphotplug monitor`: a hidden diagnostic that proves the libudev chain end to end.
///
/// It arms a monitor, enumerates the ap, matrix and mdev devices, prints a readiness
/// line, then prints every event as one JSON line until SIGTERM or SIGINT, after which it
/// exits 0. Output lines, in order:
/// - `{"type":"device","syspath":…,"subsystem":…,"devtype":…,"driver":…,"properties":{…},"sysattrs":{…}}`
///   per enumerated device;
/// - `{"type":"ready","source":"udev","subsystems":[…],"receive_buffer":N,"devices":N}`;
/// - `{"type":"uevent","env":{…}}` per event (design.md's trace record; keys in the
///   order libudev reports them), `{"type":"overflow"}` on ENOBUFS,
///   `{"type":"receive-error","errno":N,"message":"…"}` on other receive errors;
/// - `{"type":"stopped","signal":N}` at the end.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Diagnostic tool: print AP, matrix and mdev devices and uevents as JSON lines.",
        discussion: """
            A diagnostic tool, not part of the agent: it arms a libudev monitor, lists the \
            devices of the monitored subsystems, prints {"type":"ready",...}, then prints each \
            uevent as {"type":"uevent","env":{...}} and {"type":"overflow"} when the kernel \
            dropped events, until SIGTERM or SIGINT.
            """,
        shouldDisplay: false
    )

    @Option(help: "Netlink source: udev (events after udev rules ran) or kernel (raw kernel uevents).")
    var source: UdevMonitorConfiguration.Source = .udev

    @Option(name: .customLong("subsystem"), help: "A subsystem to monitor and list (repeatable; default: ap, matrix, mdev).")
    var subsystems: [String] = []

    @Option(help: "Receive buffer size in bytes.")
    var receiveBuffer: Int = UdevMonitorConfiguration.defaultReceiveBufferSize

    @Flag(help: "Do not list devices before going live.")
    var noEnumerate = false

    func run() async throws {
        ProcessSignalMask.unblockAll()
        let signals = await UnixSignalSequence(trapping: [SIGTERM, SIGINT])
        let configuration = UdevMonitorConfiguration(
            source: source,
            subsystems: subsystems.isEmpty ? UdevSubsystem.hotplugRelevant : subsystems,
            receiveBufferSize: receiveBuffer)
        let monitor: UdevMonitorSequence
        do {
            monitor = try await UdevMonitorSequence(configuration: configuration)
        } catch {
            throw ValidationError("cannot arm the udev monitor: \(error)")
        }
        var deviceCount = 0
        if !noEnumerate {
            do {
                for device in try UdevContext().devices(subsystems: configuration.subsystems, sysattrs: .all) {
                    LineOutput.write(MonitorJSON.device(device))
                    deviceCount += 1
                }
            } catch {
                throw ValidationError("cannot enumerate devices: \(error)")
            }
        }
        LineOutput.write(MonitorJSON.ready(
            configuration, receiveBuffer: monitor.effectiveReceiveBufferSize, devices: deviceCount))

        let stoppedBy = await withTaskGroup(of: Int32?.self) { group -> Int32? in
            group.addTask {
                for await event in monitor { LineOutput.write(MonitorJSON.event(event)) }
                return nil
            }
            group.addTask {
                for await signal in signals { return signal }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        LineOutput.write(#"{"type":"stopped","signal":"# + (stoppedBy.map(String.init) ?? "null") + "}")
    }
}

/// Writes whole lines to standard output with `write(2)`: no stdio buffering, so a
/// reader on a pipe sees each line at once (testing-with-umockdev.md §5.2), and no
/// access to the C `stdout` global, which Swift 6 rejects.
private enum LineOutput {
    static func write(_ line: String) {
        // stdout gone (EPIPE): nothing left to report to.
        try? Posix.writeAll(STDOUT_FILENO, line + "\n")
    }
}

/// The JSON lines of `aphotplug monitor`, with keys in a fixed order.
private enum MonitorJSON {
    static func device(_ device: UdevDeviceInfo) -> String {
        var line = #"{"type":"device","syspath":"# + string(device.syspath)
        line += #","subsystem":"# + (device.subsystem.map(string) ?? "null")
        line += #","devtype":"# + (device.devtype.map(string) ?? "null")
        line += #","driver":"# + (device.driver.map(string) ?? "null")
        line += #","properties":"# + object(device.properties.map { ($0.key, $0.value) })
        line += #","sysattrs":"# + object(device.sysattrs.map { ($0.name, $0.value) })
        return line + "}"
    }

    static func ready(_ configuration: UdevMonitorConfiguration, receiveBuffer: Int, devices: Int) -> String {
        #"{"type":"ready","source":"# + string(configuration.source.name)
            + #","subsystems":["# + configuration.subsystems.map(string).joined(separator: ",")
            + #"],"receive_buffer":\#(receiveBuffer),"devices":\#(devices)}"#
    }

    static func event(_ event: UdevMonitorEvent) -> String {
        switch event {
        case .uevent(let uevent):
            return #"{"type":"uevent","env":"# + object(uevent.properties.map { ($0.key, $0.value) }) + "}"
        case .overflow:
            return #"{"type":"overflow"}"#
        case .receiveFailed(let error):
            return #"{"type":"receive-error","errno":\#(error.errno),"message":"# + string(error.description) + "}"
        }
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { string($0.0) + ":" + string($0.1) }.joined(separator: ",") + "}"
    }

    /// A JSON string literal, escaped as every aphotplug output escapes it.
    static func string(_ text: String) -> String { JSONString.quoted(text) }
}
