/// A crypto card generation the AP bus supports (`hwtype`): CEX4 (10) to
/// CEX8 (14). Older cards get no device at all; newer ones are mapped to a
/// compatible type by the kernel, which the simulator does not model.
public enum CardType: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case cex4 = 10
    case cex5 = 11
    case cex6 = 12
    case cex7 = 13
    case cex8 = 14

    /// `cex4` … `cex8`, as scenario scripts spell it.
    public var description: String { "cex\(rawValue - 6)" }

    /// Parses `cex4` … `cex8` in any case.
    public init?(name: some StringProtocol) {
        guard let type = Self.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
        self = type
    }
}

/// The function a card is configured for (`MODE=` in uevents, the last
/// letter of zcrypt's `type`: CEX8A, CEX8C, CEX8P).
public enum CardMode: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Accelerator (CEXnA).
    case accel
    /// CCA coprocessor (CEXnC).
    case cca
    /// EP11 coprocessor (CEXnP).
    case ep11

    public var description: String { rawValue }

    /// The letter zcrypt appends to the card type.
    var typeSuffix: String {
        switch self {
        case .accel: return "A"
        case .cca: return "C"
        case .ep11: return "P"
        }
    }

    /// The TAPQ facility bits (`ap_functions`): MSB-first bit numbers as in
    /// `ap_bus.h` (MEX4K 1, CRT4K 2, COPRO 3, ACCEL 4, EP11 5, APXA 6).
    var functionBits: UInt32 {
        let apxa: UInt32 = 0x0200_0000
        switch self {
        case .accel: return 0x6000_0000 | 0x0800_0000 | apxa
        case .cca: return 0x6000_0000 | 0x1000_0000 | apxa
        case .ep11: return 0x0400_0000 | apxa
        }
    }
}

/// What the machine has in one adapter slot of the LPAR, as TAPQ reports it.
/// The AP bus learns changes only when it scans.
public struct CardHardware: Hashable, Sendable {
    public var type: CardType
    public var mode: CardMode
    /// SCLP-deconfigured (`echo 0 > config`, or on the SE/HMC): TAPQ answers
    /// response code 03 for every queue.
    public var deconfigured: Bool
    /// Checkstopped: TAPQ answers response code 04.
    public var checkstopped: Bool

    public init(type: CardType = .cex8, mode: CardMode = .cca, deconfigured: Bool = false, checkstopped: Bool = false) {
        self.type = type
        self.mode = mode
        self.deconfigured = deconfigured
        self.checkstopped = checkstopped
    }
}
