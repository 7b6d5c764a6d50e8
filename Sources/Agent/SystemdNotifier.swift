import Foundation
import Posix

/// Speaks systemd's readiness protocol (`sd_notify(3)`) without libsystemd: one
/// `AF_UNIX` datagram of newline-separated `KEY=VALUE` lines to `$NOTIFY_SOCKET`.
///
/// When `NOTIFY_SOCKET` is unset or empty the notifier is disabled and every send is a
/// no-op, so the daemon runs the same outside systemd. A socket path starting with `@`
/// names an abstract socket (`@` becomes a leading NUL, no terminating NUL).
public struct SystemdNotifier: Sendable {
    /// Where messages go.
    public enum Address: Hashable, Sendable {
        /// A socket file, e.g. `/run/systemd/notify`.
        case path(String)
        /// An abstract socket name (given as `@name`), stored without the `@`.
        case abstract(String)
    }

    /// The environment variable systemd sets for `Type=notify` services.
    public static let socketVariable = "NOTIFY_SOCKET"
    /// How long one send may block on a full manager queue.
    public static let sendTimeout: Duration = .seconds(2)

    /// The destination, nil when disabled.
    public let address: Address?
    /// The variable's raw text, for messages.
    private let rawAddress: String

    /// Reads `NOTIFY_SOCKET` from `environment`.
    ///
    /// - Throws: ``SystemdNotifyError`` (``SystemdNotifyError/Code/unsupportedAddress``,
    ///   ``SystemdNotifyError/Code/addressTooLong``) for an address it cannot use.
    public init(environment: [String: String]) throws(SystemdNotifyError) {
        let raw = environment[Self.socketVariable] ?? ""
        self.rawAddress = raw
        if raw.isEmpty {
            self.address = nil
        } else if raw.hasPrefix("/") {
            guard raw.utf8.count < UnixSocketAddress.pathCapacity else {
                throw SystemdNotifyError(code: .addressTooLong, address: raw)
            }
            self.address = .path(raw)
        } else if raw.hasPrefix("@") {
            guard raw.utf8.count <= UnixSocketAddress.pathCapacity else {
                throw SystemdNotifyError(code: .addressTooLong, address: raw)
            }
            self.address = .abstract(String(raw.dropFirst()))
        } else {
            throw SystemdNotifyError(code: .unsupportedAddress, address: raw)
        }
    }

    /// The notifier for this process's environment.
    public static func fromProcessEnvironment() throws(SystemdNotifyError) -> SystemdNotifier {
        try SystemdNotifier(environment: ProcessInfo.processInfo.environment)
    }

    /// Whether messages are sent at all.
    public var isEnabled: Bool { address != nil }

    /// Sends `states` as one datagram; does nothing when disabled or `states` is empty.
    public func send(_ states: [SystemdNotifyState]) throws(SystemdNotifyError) {
        guard let address, !states.isEmpty else { return }
        let message = states.map(\.line).joined(separator: "\n")
        try Self.sendDatagram(message, to: address, raw: rawAddress)
    }

    /// `READY=1`, with `STATUS=` when given.
    public func ready(status: String? = nil) throws(SystemdNotifyError) {
        try send([.ready] + (status.map { [.status($0)] } ?? []))
    }

    /// `STATUS=text`.
    public func status(_ text: String) throws(SystemdNotifyError) { try send([.status(text)]) }

    /// `WATCHDOG=1`.
    public func watchdog() throws(SystemdNotifyError) { try send([.watchdog]) }

    /// `STOPPING=1`, with `STATUS=` when given.
    public func stopping(status: String? = nil) throws(SystemdNotifyError) {
        try send([.stopping] + (status.map { [.status($0)] } ?? []))
    }

    private static func sendDatagram(_ message: String, to address: Address, raw: String) throws(SystemdNotifyError) {
        let socket: UnixDatagramSocket
        do {
            socket = try UnixDatagramSocket()
        } catch {
            throw SystemdNotifyError(code: .socketFailed, address: raw, errno: error.rawValue)
        }
        defer { socket.close() }
        try? socket.setSendTimeout(sendTimeout)
        let destination: UnixSocketAddress
        switch address {
        case .path(let path): destination = .path(path)
        case .abstract(let name): destination = .abstract(name)
        }
        do {
            try socket.send(Array(message.utf8), to: destination)
        } catch {
            switch error {
            case .badDescriptor, .fault, .notSocket:
                preconditionFailure("sendto on a socket the notifier just created failed with errno \(error.rawValue), which only a bug can cause.")
            default:
                throw SystemdNotifyError(code: .sendFailed, address: raw, errno: error.rawValue)
            }
        }
    }
}
