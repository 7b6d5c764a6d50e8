import APModel

/// Turns the words of one script line into an ``Operation``.
enum ScenarioLineParser {
    typealias Words = [Substring]

    static func operation(_ words: Words, line: Int, text: String) throws(ScenarioError) -> Operation {
        func fail(_ message: String) -> ScenarioError { ScenarioError(line: line, text: text, message: message) }
        let keyword = words[0]
        let arguments = words.dropFirst()
        switch keyword {
        case "host":
            return .changeHost(try host(arguments, fail: fail))
        case "card":
            return try card(arguments, fail: fail)
        case "boot", "scan":
            guard arguments.isEmpty else { throw fail("expected '\(keyword)' alone") }
            return keyword == "boot" ? .boot : .scan
        case "modprobe", "rmmod":
            guard arguments.count == 1, let module = KernelModule(rawValue: String(arguments[arguments.startIndex])) else {
                throw fail("expected '\(keyword) vfio_ap' or '\(keyword) zcrypt_cex4'")
            }
            return keyword == "modprobe" ? .load(module) : .unload(module)
        case "apmask", "aqmask":
            guard arguments.count == 1 else {
                throw fail("expected '\(keyword) VALUE' (0x<hex> absolute, or relative terms like -5,+0x10-0x1f)")
            }
            return .writeMask(keyword == "apmask" ? .apmask : .aqmask, String(arguments[arguments.startIndex]))
        case "bind":
            guard arguments.count == 2, let driver = APDriver(rawValue: String(arguments[arguments.startIndex + 1])) else {
                throw fail("expected 'bind DEVICE DRIVER' with DRIVER vfio_ap, cex4queue or cex4card")
            }
            return .bind(device: String(arguments[arguments.startIndex]), driver: driver)
        case "unbind":
            guard arguments.count == 1 || arguments.count == 2 else {
                throw fail("expected 'unbind DEVICE [DRIVER]'")
            }
            var driver: APDriver?
            if arguments.count == 2 {
                guard let named = APDriver(rawValue: String(arguments[arguments.startIndex + 1])) else {
                    throw fail("expected DRIVER to be vfio_ap, cex4queue or cex4card")
                }
                driver = named
            }
            return .unbind(device: String(arguments[arguments.startIndex]), driver: driver)
        case "config":
            guard arguments.count == 2 else { throw fail("expected 'config cardAA 0|1'") }
            return .writeCardConfig(card: String(arguments[arguments.startIndex]), value: String(arguments[arguments.startIndex + 1]))
        case "mdev":
            return try mdev(arguments, fail: fail)
        case "guest":
            return try guest(arguments, fail: fail)
        case "reset-fail":
            guard arguments.count == 1 || arguments.count == 2, let apqn = APQN(arguments[arguments.startIndex]) else {
                throw fail("expected 'reset-fail AA.DDDD [RC]'")
            }
            var code: UInt8 = 0x01
            if arguments.count == 2 {
                guard let value = try? KernelNumber.kstrtoul(String(arguments[arguments.startIndex + 1])), value <= 0xff else {
                    throw fail("expected RC to be a response code 0...0xff")
                }
                code = UInt8(value)
            }
            return .failQueueReset(apqn, responseCode: code)
        case "tapq":
            guard arguments.count == 2, let apqn = APQN(arguments[arguments.startIndex]),
                  ["ok", "fail"].contains(arguments[arguments.startIndex + 1]) else {
                throw fail("expected 'tapq AA.DDDD ok|fail'")
            }
            return .setQueueAnswers(apqn, arguments[arguments.startIndex + 1] == "ok")
        default:
            throw fail("unknown operation '\(keyword)' (expected host, card, boot, scan, start, modprobe, rmmod, "
                + "apmask, aqmask, bind, unbind, config, mdev, guest, reset-fail, tapq or expect-error)")
        }
    }

    private static func host(_ arguments: Words.SubSequence, fail: (String) -> ScenarioError) throws(ScenarioError) -> HostChange {
        var change = HostChange()
        var rest = arguments[...]
        guard !rest.isEmpty else { throw fail("expected 'host [adapters LIST] [domains LIST] [control LIST]'") }
        while let key = rest.first {
            rest = rest.dropFirst()
            guard let value = rest.first else { throw fail("expected a value after '\(key)'") }
            rest = rest.dropFirst()
            switch key {
            case "adapters": change.adapters = try maskEdit(value, fail: fail)
            case "domains": change.domains = try maskEdit(value, fail: fail)
            case "control", "control-domains": change.controlDomains = try maskEdit(value, fail: fail)
            case "max-adapter-id", "max-domain-id":
                guard let number = try? KernelNumber.kstrtoul(String(value)), number <= 255 else {
                    throw fail("expected '\(key)' to be a number 0...255")
                }
                if key == "max-adapter-id" { change.maxAdapterID = UInt8(number) } else { change.maxDomainID = UInt8(number) }
            default:
                throw fail("unknown host setting '\(key)' (expected adapters, domains, control, max-adapter-id or max-domain-id)")
            }
        }
        return change
    }

    /// `none`, a list with ranges (`0-3,0xab`) or relative edits (`+5,-6`).
    private static func maskEdit(_ text: Substring, fail: (String) -> ScenarioError) throws(ScenarioError) -> MaskEdit {
        if text == "none" { return .set(APMask()) }
        if text.hasPrefix("+") || text.hasPrefix("-") {
            do {
                _ = try APMask().applyingWrite(String(text))
            } catch {
                throw fail("bad relative list '\(text)': \(error.description)")
            }
            return .relative(String(text))
        }
        do {
            return .set(try APMask(listText: String(text)))
        } catch {
            throw fail("bad list '\(text)': \(error.description) (expected e.g. 0-3,5,0xab, none, +5 or -5)")
        }
    }

    private static func card(_ arguments: Words.SubSequence, fail: (String) -> ScenarioError) throws(ScenarioError) -> Operation {
        let usage = "expected 'card AA TYPE MODE' (TYPE cex4...cex8, MODE accel, cca or ep11) or 'card AA checkstop on|off'"
        guard arguments.count == 3 else { throw fail(usage) }
        let words = Array(arguments)
        guard words[0].utf8.count <= 2, let number = UInt8(words[0], radix: 16) else {
            throw fail("expected the adapter as two hex digits, as in card05: " + usage)
        }
        let id = APID(number)
        if words[1] == "checkstop" {
            guard words[2] == "on" || words[2] == "off" else { throw fail(usage) }
            return .setCheckstop(id, words[2] == "on")
        }
        guard let type = CardType(name: words[1]), let mode = CardMode(rawValue: words[2].lowercased()) else {
            throw fail(usage)
        }
        return .installCard(id, type, mode)
    }

    private static func mdev(_ arguments: Words.SubSequence, fail: (String) -> ScenarioError) throws(ScenarioError) -> Operation {
        let words = Array(arguments)
        let usage = "expected 'mdev create UUID', 'mdev UUID remove', 'mdev UUID assign-adapter N' "
            + "(or unassign-adapter, assign-domain, unassign-domain, assign-control-domain, unassign-control-domain) "
            + "or 'mdev UUID ap-config APM,AQM,ADM'"
        guard words.count >= 2 else { throw fail(usage) }
        if words[0] == "create" {
            guard words.count == 2 else { throw fail(usage) }
            return .createMdev(String(words[1]))
        }
        guard let uuid = MdevUUID(words[0]) else { throw fail("expected a UUID after 'mdev': " + usage) }
        if words[1] == "remove" {
            guard words.count == 2 else { throw fail(usage) }
            return .removeMdev(uuid)
        }
        let name = String(words[1].map { $0 == "-" ? "_" : $0 })
        guard words.count == 3, let attribute = MdevAttribute(rawValue: name) else { throw fail(usage) }
        return .writeMdev(uuid, attribute, String(words[2]))
    }

    private static func guest(_ arguments: Words.SubSequence, fail: (String) -> ScenarioError) throws(ScenarioError) -> Operation {
        let words = Array(arguments)
        let usage = "expected 'guest attach UUID NAME' or 'guest detach UUID'"
        guard words.count >= 2, let uuid = MdevUUID(words[1]) else { throw fail(usage) }
        switch words[0] {
        case "attach":
            guard words.count == 3 else { throw fail(usage) }
            return .attachGuest(uuid, guest: String(words[2]))
        case "detach":
            guard words.count == 2 else { throw fail(usage) }
            return .detachGuest(uuid)
        default:
            throw fail(usage)
        }
    }
}
