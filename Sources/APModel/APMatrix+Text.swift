/// Why a `matrix`, `guest_matrix`, `control_domains` or `ap_config` text could
/// not be read.
public enum MatrixTextError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A line that is none of `AA.DDDD`, `AA.`, `.DDDD` (or `DDDD` for control domains).
    case badLine(number: Int, text: String)
    /// `ap_config` without exactly three masks.
    case badAPConfig(String)

    public var description: String {
        switch self {
        case .badLine(let number, let text):
            return "line \(number): '\(text)' is not an APQN line (expected AA.DDDD, AA. or .DDDD in hex)"
        case .badAPConfig(let reason):
            return "ap_config: \(reason) (expected 0x<64 hex>,0x<64 hex>,0x<64 hex>)"
        }
    }
}

extension APMatrix {
    /// Reads the text of the `matrix` or `guest_matrix` attribute: one
    /// `AA.DDDD` line per APQN, `AA.` lines for adapters without domains,
    /// `.DDDD` lines for domains without adapters, or nothing at all.
    /// Control domains are not part of this text; pass them separately.
    public init(matrixText text: String, controlDomains: APMask = APMask()) throws(MatrixTextError) {
        self.init(controlDomains: controlDomains)
        var number = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            if line.isEmpty { continue }
            guard let dot = line.firstIndex(of: ".") else { throw .badLine(number: number, text: String(line)) }
            let adapterText = line[line.startIndex..<dot]
            let domainText = line[line.index(after: dot)...]
            if adapterText.isEmpty && domainText.isEmpty { throw .badLine(number: number, text: String(line)) }
            if !adapterText.isEmpty {
                guard let adapter = HexText.parse(adapterText.utf8, maxDigits: 2) else {
                    throw .badLine(number: number, text: String(line))
                }
                adapters.insert(UInt8(adapter))
            }
            if !domainText.isEmpty {
                guard let domain = HexText.parse(domainText.utf8, maxDigits: 4), domain <= 0xff else {
                    throw .badLine(number: number, text: String(line))
                }
                domains.insert(UInt8(domain))
            }
        }
    }

    /// The `matrix`/`guest_matrix` text the kernel prints for this matrix.
    public var matrixText: String {
        var text = ""
        if !adapters.isEmpty && !domains.isEmpty {
            for adapter in adapters {
                let prefix = APID(adapter).description + "."
                for domain in domains { text += prefix + APQI(domain).description + "\n" }
            }
        } else if !adapters.isEmpty {
            for adapter in adapters { text += APID(adapter).description + ".\n" }
        } else {
            for domain in domains { text += "." + APQI(domain).description + "\n" }
        }
        return text
    }

    /// Reads `control_domains`: one `%04lx` line per control domain, possibly empty.
    public static func controlDomains(fromText text: String) throws(MatrixTextError) -> APMask {
        var mask = APMask()
        var number = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            if line.isEmpty { continue }
            guard let domain = HexText.parse(line.utf8, maxDigits: 4), domain <= 0xff else {
                throw .badLine(number: number, text: String(line))
            }
            mask.insert(UInt8(domain))
        }
        return mask
    }

    /// The `control_domains` text: one four-digit line per control domain.
    public var controlDomainsText: String {
        var text = ""
        for domain in controlDomains { text += APQI(domain).description + "\n" }
        return text
    }

    /// Reads `ap_config`: `apm,aqm,adm` as three absolute masks separated by
    /// `,` or newlines (the kernel's `ap_config_store` split).
    public init(apConfigText text: String) throws(MatrixTextError) {
        let parts = text.split(whereSeparator: { $0 == "," || $0 == "\n" })
        guard parts.count == 3 else { throw .badAPConfig("\(parts.count) masks") }
        do {
            self.init(
                adapters: try APMask(sysfsHex: String(parts[0])),
                domains: try APMask(sysfsHex: String(parts[1])),
                controlDomains: try APMask(sysfsHex: String(parts[2]))
            )
        } catch {
            throw .badAPConfig(error.description)
        }
    }

    /// The `ap_config` text (with its trailing newline), as the kernel prints
    /// it and as ap-check writes it.
    public var apConfigText: String {
        adapters.sysfsHex + "," + domains.sysfsHex + "," + controlDomains.sysfsHex + "\n"
    }
}
