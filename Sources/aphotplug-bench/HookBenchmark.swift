import APTestSupport
import LibvirtHook

/// `hook libvirt` reads the domain XML while the guest starts (design: never
/// make a guest start wait): the documents of the hardening issue, parsed to
/// the vfio-ap mdev list, each under 1 s.
enum HookBenchmark {
    static func run(runs: Int) {
        let cases: [(String, [UInt8], Int)] = [
            ("100,000 attributes on one hostdev", LargeDomainXML.manyAttributes(100_000), 1),
            ("40,000 vfio-ap hostdevs", LargeDomainXML.manyHostdevs(40_000), 40_000),
            ("10 MB of mixed domain XML", LargeDomainXML.mixed(atLeast: 10_000_000), -1),
        ]
        for (name, document, expected) in cases {
            var found = 0
            let seconds = median(runs: runs) {
                found = (try? DomainXML.vfioAPMdevs(in: document).count) ?? -2
            }
            let verdict = seconds < 1 && (expected < 0 || found == expected) ? "met" : "NOT met"
            print("hook libvirt: \(name) (\(document.count / 1000) kB, \(found) mdevs): median \(milliseconds(seconds)) ms "
                  + "over \(runs) runs (target < 1000 ms: \(verdict))")
        }
    }
}
