import APModel
import Testing
import Trace

@Suite struct MdevctlConfigReaderTests {
    private func read(_ text: String) throws(MdevctlConfigError) -> MdevDefinition {
        try MdevctlConfigReader.read(text, fileName: "/etc/mdevctl.d/matrix/x")
    }

    @Test("mdevctl's documented example, with strtol bases")
    func documentedExample() throws {
        let definition = try read("""
            {"mdev_type":"vfio_ap-passthrough","start":"auto",
             "attrs":[{"assign_adapter":"5"},{"assign_domain":"0xab"},{"assign_control_domain":"0xab"},
                      {"assign_domain":"010"},{"assign_adapter":"0X1f"}]}
            """)
        #expect(definition.autostart)
        #expect(definition.matrix == APMatrix(
            adapters: APMask([5, 0x1f]), domains: APMask([0xab, 8]), controlDomains: APMask([0xab])))
    }

    @Test("an ap_config attribute replaces what came before it; later entries add to it")
    func apConfigReplaces() throws {
        let zero = String(repeating: "0", count: 64)
        let apm = "0x04" + String(repeating: "0", count: 62)  // adapter 5
        let definition = try read("""
            {"mdev_type":"vfio_ap-passthrough","start":"manual","attrs":[{"assign_adapter":"1"},
             {"ap_config":"\(apm),0x\(zero),0x\(zero)"},{"assign_domain":"7"}]}
            """)
        #expect(!definition.autostart)
        #expect(definition.matrix == APMatrix(adapters: APMask([5]), domains: APMask([7])))
    }

    @Test("no attrs is an empty definition")
    func noAttributes() throws {
        #expect(try read(#"{"mdev_type":"vfio_ap-passthrough","start":"manual"}"#).matrix == APMatrix())
    }

    @Test("any start but auto is manual, as mdevctl reads it (src/mdev.rs)")
    func otherStartIsManual() throws {
        #expect(try !read(#"{"mdev_type":"vfio_ap-passthrough","start":"often"}"#).autostart)
    }

    @Test("unusable files name the file and what was expected", arguments: [
        (#"{"mdev_type":"vfio-ccw-io","start":"auto"}"#, "expected \"mdev_type\": \"vfio_ap-passthrough\", found 'vfio-ccw-io'"),
        (#"{"mdev_type":"vfio_ap-passthrough"}"#, "expected \"start\": \"auto\" or \"manual\" (mdevctl refuses a definition without it), found no start"),
        (#"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":{"assign_adapter":"5"}}"#, "expected \"attrs\" to be an array, found an object"),
        (#"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":5}]}"#,
         "expected attrs[0] to be an object with one string member, found an object"),
        (#"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_adapter":"256"}]}"#,
         "expected comma-separated numbers from 0 to 255 (decimal, 0x hex or leading-0 octal, as strtol reads them) in attrs[0] assign_adapter, found '256'"),
        (#"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_domain":"08"}]}"#,
         "expected comma-separated numbers from 0 to 255 (decimal, 0x hex or leading-0 octal, as strtol reads them) in attrs[0] assign_domain, found '08'"),
        (#"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_domain":"5,abc"}]}"#,
         "in attrs[0] assign_domain, found '5,abc'"),
        (#"{"mdev_type":"vfio_ap-passthrough","start":"auto","attrs":[{"assign_domain":"-1"}]}"#,
         "in attrs[0] assign_domain, found '-1'"),
        (#"{"mdev_type":"vfio_ap-passthrough","#, "expected a member name in double quotes at byte 36, found end of input"),
        ("[]", "expected a JSON object, found an array"),
    ])
    func unusable(text: String, message: String) {
        do {
            _ = try read(text)
            Issue.record("read \(text) without an error")
        } catch {
            #expect(error.description.hasPrefix("/etc/mdevctl.d/matrix/x: "))
            #expect(error.description.contains(message), "\(error.description)")
        }
    }
}
