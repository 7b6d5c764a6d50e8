import Foundation
import Glibc
import Posix
import Testing

/// ``UnixDatagramSocket`` and ``UnixSocketAddress``: round trips over a path and an
/// abstract name, sizes that do not fit `sun_path`, credentials.
@Suite struct UnixDatagramSocketTests {
    static func temporaryPath() -> String { "/tmp/aphp-posix-\(getpid())-\(UUID().uuidString.prefix(8)).sock" }

    @Test("a datagram sent to a path arrives whole")
    func roundTripOverPath() throws {
        let path = Self.temporaryPath()
        let receiver = try UnixDatagramSocket()
        defer { receiver.close(); unlink(path) }
        try receiver.bind(to: .path(path))
        try receiver.setReceiveTimeout(.seconds(2))
        let sender = try UnixDatagramSocket()
        defer { sender.close() }
        try sender.send(Array("READY=1".utf8), to: .path(path))
        #expect(try receiver.receive(capacity: 64) == Array("READY=1".utf8))
    }

    @Test("a datagram sent to an @abstract name (NOTIFY_SOCKET's notation) arrives")
    func roundTripOverAbstractName() throws {
        let name = "aphotplug-posix-test-\(UUID().uuidString)"
        let address = UnixSocketAddress(notation: "@" + name)
        #expect(address == .abstract(name))
        let receiver = try UnixDatagramSocket()
        defer { receiver.close() }
        try receiver.bind(to: address)
        try receiver.setReceiveTimeout(.seconds(2))
        let sender = try UnixDatagramSocket()
        defer { sender.close() }
        try sender.connect(to: address)
        try sender.send(Array("WATCHDOG=1".utf8))
        #expect(try receiver.receive(capacity: 64, peek: true) == Array("WATCHDOG=1".utf8))
        #expect(try receiver.receive(capacity: 64) == Array("WATCHDOG=1".utf8))
        #expect(throws: Errno.wouldBlock) { try receiver.receive(capacity: 64, wait: false) }
    }

    @Test("an address longer than sun_path is refused with ENAMETOOLONG; the longest that fits is taken")
    func tooLongAddressIsRefused() throws {
        let socket = try UnixDatagramSocket()
        defer { socket.close() }
        let tooLong = "/tmp/" + String(repeating: "x", count: UnixSocketAddress.pathCapacity)
        #expect(!UnixSocketAddress.path(tooLong).fits)
        #expect(throws: Errno.nameTooLong) { try socket.bind(to: .path(tooLong)) }
        #expect(throws: Errno.nameTooLong) { try socket.send([1], to: .path(tooLong)) }
        #expect(throws: Errno.nameTooLong) { try socket.connect(to: .abstract(String(repeating: "y", count: 108))) }
        #expect(UnixSocketAddress.abstract(String(repeating: "y", count: 107)).fits)
        #expect(UnixSocketAddress.path(String(repeating: "z", count: 107)).fits)
    }

    @Test("connecting to a path nobody is bound at fails with ECONNREFUSED or ENOENT")
    func connectToNobody() throws {
        let socket = try UnixDatagramSocket()
        defer { socket.close() }
        #expect(throws: Errno.noEntry) { try socket.connect(to: .path(Self.temporaryPath())) }
    }

    @Test("with SO_PASSCRED a datagram carries the sender's pid and uid; MSG_TRUNC tells a longer one")
    func credentialsAndTruncation() throws {
        let path = Self.temporaryPath()
        let receiver = try UnixDatagramSocket(nonBlocking: true)
        defer { receiver.close(); unlink(path) }
        try receiver.enableCredentials()
        try receiver.bind(to: .path(path))
        let sender = try UnixDatagramSocket()
        defer { sender.close() }
        try sender.send(Array("0123456789".utf8), to: .path(path))
        var buffer = [UInt8](repeating: 0, count: 4)
        let received = try buffer.withUnsafeMutableBytes { try receiver.receiveWithCredentials(into: $0) }
        #expect(received.length == 10)
        #expect(received.truncated)
        #expect(received.credentials?.pid == getpid())
        #expect(received.credentials?.uid == geteuid())
        #expect(buffer == Array("0123".utf8))
        #expect(throws: Errno.wouldBlock) {
            try buffer.withUnsafeMutableBytes { try receiver.receiveWithCredentials(into: $0) }
        }
    }
}
