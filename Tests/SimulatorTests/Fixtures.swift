import APModel
@testable import Simulator

/// UUIDs and hosts the tests share.
enum Fixture {
    static let mdevA = MdevUUID("4b7c1a2e-0000-4000-8000-00000000000a")!
    static let mdevB = MdevUUID("4b7c1a2e-0000-4000-8000-00000000000b")!

    /// Runs `script` and fails the test with the script error if it does not run.
    static func run(_ script: String) throws(ScenarioError) -> ScenarioRun {
        try Scenario(parsing: script).run()
    }

    /// The vfio-ap documentation's two guests: mdev A with adapters 5, 6 and
    /// domains 4, 0xab; mdev B with adapter 5 and domains 0x47, 0xff; both
    /// attached. Adapters 4–6 and the four domains are in the LPAR; adapters
    /// 5 and 6 are taken from the host. A last scan completes the bindings
    /// (COMPLETECOUNT=2).
    static let documentationGuests = """
        host adapters 4-6 domains 4,0x47,0xab,0xff control 4,0x47,0xab,0xff
        modprobe vfio_ap
        apmask -5,-6
        mdev create \(mdevA)
        mdev \(mdevA) assign-adapter 5
        mdev \(mdevA) assign-adapter 6
        mdev \(mdevA) assign-domain 4
        mdev \(mdevA) assign-domain 0xab
        mdev create \(mdevB)
        mdev \(mdevB) assign-adapter 5
        mdev \(mdevB) assign-domain 0x47
        mdev \(mdevB) assign-domain 0xff
        guest attach \(mdevA) vm1
        guest attach \(mdevB) vm2
        scan
        """

    /// A matrix from adapter and domain lists.
    static func matrix(_ adapters: [UInt8], _ domains: [UInt8], control: [UInt8] = []) -> APMatrix {
        APMatrix(adapters: APMask(adapters), domains: APMask(domains), controlDomains: APMask(control))
    }
}

extension Uevent {
    /// `ACTION DEVPATH KEY=VALUE…` without SEQNUM: compact and exact.
    var summary: String {
        let keys = properties.filter { !["ACTION", "DEVPATH", "SEQNUM"].contains($0.key) }
            .map { "\($0.key)=\($0.value)" }
        return ([action ?? "?", devpath ?? "?"] + keys).joined(separator: " ")
    }
}

extension [SimulationRecord] {
    /// The uevents, in order.
    var uevents: [Uevent] {
        compactMap { record in
            if case .uevent(let event, _) = record { return event }
            return nil
        }
    }

    /// The uevent summaries, in order.
    var eventSummaries: [String] { uevents.map(\.summary) }

    /// The observations, path → value.
    var observations: [String: String] {
        var values: [String: String] = [:]
        for case .observe(let path, let value) in self { values[path] = value }
        return values
    }
}

extension SimulatedKernel {
    /// Applies operations, returning their uevent summaries; the test fails on any error.
    mutating func summaries(_ operations: Operation...) throws -> [String] {
        for operation in operations { try apply(operation) }
        return takeOutput().compactMap { output in
            if case .uevent(let event) = output { return event.summary }
            return nil
        }
    }
}
