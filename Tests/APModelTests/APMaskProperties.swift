import APModel
import APTestSupport
import Testing

/// Round trips and set laws of the 256-bit mask over seeded random masks, so
/// every run checks the same inputs on any machine.
@Suite struct APMaskProperties {
    static func masks(seed: UInt64, count: Int) -> [APMask] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let size = Int.random(in: 0...64, using: &random)
            return APMask((0..<size).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
    }

    @Test func textFormsRoundTrip() throws {
        for mask in Self.masks(seed: 1, count: 500) {
            #expect(try APMask(sysfsHex: mask.sysfsHex) == mask)
            #expect(try APMask(sysfsHex: mask.sysfsHex + "\n") == mask)
            #expect(try APMask(listText: mask.listText) == mask)
            #expect(try APMask.all.applyingWrite(mask.sysfsHex) == mask)
            if !mask.isEmpty {
                let relative = "+" + mask.listText.split(separator: ",").joined(separator: ",+")
                #expect(try APMask().applyingWrite(relative) == mask)
                let removal = "-" + mask.listText.split(separator: ",").joined(separator: ",-")
                #expect(try APMask.all.applyingWrite(removal) == APMask.all.subtracting(mask))
            }
            #expect(Array(mask).count == mask.count)
            #expect(Array(mask) == Array(mask).sorted())
        }
    }

    @Test func setLaws() {
        let left = Self.masks(seed: 2, count: 200)
        let right = Self.masks(seed: 3, count: 200)
        for (a, b) in zip(left, right) {
            #expect(a.union(b) == b.union(a))
            #expect(a.intersection(b) == b.intersection(a))
            #expect(a.subtracting(b).intersection(b).isEmpty)
            #expect(a.subtracting(b).union(a.intersection(b)) == a)
            #expect(a.union(b).count == a.count + b.count - a.intersection(b).count)
            #expect(a.isSubset(of: a.union(b)))
            // One expectation per pair, not per id: Swift Testing records every check.
            let memberships = (UInt8(0)...255).allSatisfy { id in
                a.union(b).contains(id) == (a.contains(id) || b.contains(id))
                    && a.intersection(b).contains(id) == (a.contains(id) && b.contains(id))
            }
            #expect(memberships, "\(a.sysfsHex) \(b.sysfsHex)")
        }
    }
}
