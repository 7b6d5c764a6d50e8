import APModel
import Testing

/// `matrix`/`guest_matrix`, `control_domains` and `ap_config` formats (kernel-ap.md §3.7).
@Suite struct MatrixTextTests {
    @Test func productLines() throws {
        let matrix = APMatrix(adapters: APMask([5, 6]), domains: APMask([4, 0xab]))
        #expect(matrix.matrixText == "05.0004\n05.00ab\n06.0004\n06.00ab\n")
        #expect(try APMatrix(matrixText: matrix.matrixText) == matrix)
        #expect(matrix.apqns.map(\.description) == ["05.0004", "05.00ab", "06.0004", "06.00ab"])
    }

    @Test func adaptersOnlyDomainsOnlyAndEmpty() throws {
        #expect(APMatrix(adapters: APMask([5])).matrixText == "05.\n")
        #expect(APMatrix(domains: APMask([4])).matrixText == ".0004\n")
        #expect(APMatrix().matrixText == "")
        #expect(try APMatrix(matrixText: "05.\n06.\n") == APMatrix(adapters: APMask([5, 6])))
        #expect(try APMatrix(matrixText: ".0004\n") == APMatrix(domains: APMask([4])))
        #expect(try APMatrix(matrixText: "") == APMatrix())
        #expect(try APMatrix(matrixText: "05.0004\r\n") == APMatrix(adapters: APMask([5]), domains: APMask([4])))
    }

    @Test(arguments: [".\n", "5\n", "zz.0004\n", "05.0100\n", "005.0004\n", "05.00004\n"])
    func badLinesAreRejected(text: String) {
        #expect(throws: MatrixTextError.self) { try APMatrix(matrixText: text) }
    }

    @Test func controlDomains() throws {
        #expect(try APMatrix.controlDomains(fromText: "0004\n00ab\n") == APMask([4, 0xab]))
        #expect(try APMatrix.controlDomains(fromText: "") == APMask())
        #expect(APMatrix(controlDomains: APMask([4, 0xab])).controlDomainsText == "0004\n00ab\n")
        #expect(throws: MatrixTextError.badLine(number: 2, text: "xyz")) { try APMatrix.controlDomains(fromText: "0004\nxyz\n") }
    }

    @Test func apConfig() throws {
        let matrix = APMatrix(adapters: APMask([5]), domains: APMask([4, 0xab]), controlDomains: APMask([0xab]))
        let text = matrix.apConfigText
        #expect(text.hasSuffix("\n"))
        #expect(text.split(separator: ",").count == 3)
        #expect(try APMatrix(apConfigText: text) == matrix)
        #expect(throws: MatrixTextError.self) { try APMatrix(apConfigText: "0x80,0x80") }
        #expect(throws: MatrixTextError.self) { try APMatrix(apConfigText: "0x80,0xzz,0x80") }
    }
}
