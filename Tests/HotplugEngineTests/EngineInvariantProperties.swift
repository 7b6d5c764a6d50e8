import PropertyBased
import Testing
@testable import HotplugEngine

/// The engine's invariants (no APQN in two guests, no host-owned APQN in a guest,
/// shadow ⊆ assigned ∩ host, decisions that describe the shadow) over 10,000
/// random kernel-plausible event sequences. PropertyBased draws each sequence's
/// seed and length; a failure is shrunk to the shortest sequence and reported
/// with a `.fixedSeed` that reproduces it.
@Suite struct EngineInvariantProperties {
    @Test("engine invariants hold over 10,000 random event sequences")
    func tenThousandSequences() async {
        await propertyCheck(count: 10_000, input: Gen.uint64(in: 1...UInt64.max), Gen.int(in: 1...24)) { seed, steps in
            let failures = EngineProperties.run(seed: seed, steps: steps).failures
            #expect(failures.isEmpty, "\(failures.prefix(3).joined(separator: "\n"))")
        }
    }
}
