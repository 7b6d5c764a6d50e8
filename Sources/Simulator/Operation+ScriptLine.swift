import APModel

extension Operation {
    /// The operation as a scenario script line (``Scenario``); reads back to
    /// the same operation.
    public var scriptLine: String {
        switch self {
        case .changeHost(let change):
            var words = ["host"]
            if let edit = change.adapters { words += ["adapters", Self.text(edit)] }
            if let edit = change.domains { words += ["domains", Self.text(edit)] }
            if let edit = change.controlDomains { words += ["control", Self.text(edit)] }
            if let id = change.maxAdapterID { words += ["max-adapter-id", String(id)] }
            if let id = change.maxDomainID { words += ["max-domain-id", String(id)] }
            return words.joined(separator: " ")
        case .installCard(let id, let type, let mode):
            return "card \(id) \(type) \(mode)"
        case .setCheckstop(let id, let on):
            return "card \(id) checkstop \(on ? "on" : "off")"
        case .boot:
            return "boot"
        case .scan:
            return "scan"
        case .load(let module):
            return "modprobe \(module)"
        case .unload(let module):
            return "rmmod \(module)"
        case .writeMask(let mask, let value):
            return "\(mask.rawValue) \(value)"
        case .bind(let device, let driver):
            return "bind \(device) \(driver)"
        case .unbind(let device, let driver):
            return driver.map { "unbind \(device) \($0)" } ?? "unbind \(device)"
        case .writeCardConfig(let card, let value):
            return "config \(card) \(value)"
        case .createMdev(let text):
            return "mdev create \(text)"
        case .removeMdev(let uuid):
            return "mdev \(uuid) remove"
        case .writeMdev(let uuid, let attribute, let value):
            return "mdev \(uuid) \(String(attribute.rawValue.map { $0 == "_" ? "-" : $0 })) \(value)"
        case .attachGuest(let uuid, let guest):
            return "guest attach \(uuid) \(guest)"
        case .detachGuest(let uuid):
            return "guest detach \(uuid)"
        case .failQueueReset(let apqn, let code):
            return "reset-fail \(apqn) 0x\(String(code, radix: 16))"
        case .setQueueAnswers(let apqn, let answers):
            return "tapq \(apqn) \(answers ? "ok" : "fail")"
        }
    }

    private static func text(_ edit: MaskEdit) -> String {
        switch edit {
        case .set(let mask): return mask.isEmpty ? "none" : mask.listText
        case .relative(let terms): return terms
        }
    }
}
