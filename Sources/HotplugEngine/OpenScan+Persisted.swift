import APModel

/// An open scan in the engine's persisted state (``Engine/encode(to:)``):
/// where it started and ended, whether a read-back closed it, the masks read
/// back (and the seq of the last), then the held events (seq, then the
/// uevent's properties in order). The set of added devices and the highest
/// adapter are rebuilt from the events.
extension OpenScan {
    func encode(to encoder: inout PersistedEncoder) {
        encoder.varint(firstSeq)
        encoder.varint(lastSeq)
        encoder.bool(closed)
        encoder.optional(readBack.adapters) { $0.mask($1) }
        encoder.optional(readBack.domains) { $0.mask($1) }
        encoder.optional(readBack.controlDomains) { $0.mask($1) }
        encoder.optional(readBack.seq) { $0.varint($1) }
        encoder.varint(UInt64(events.count))
        for event in events {
            encoder.varint(event.seq)
            encoder.varint(UInt64(event.uevent.properties.count))
            for property in event.uevent.properties {
                encoder.string(property.key)
                encoder.string(property.value)
            }
        }
    }

    init(decoding decoder: inout PersistedDecoder) throws(PersistedStateError) {
        let field = "engine.scan"
        self.init(firstSeq: try decoder.varint(field + ".first_seq"))
        let lastSeq = try decoder.varint(field + ".last_seq")
        let closed = try decoder.bool(field + ".closed")
        readBack.adapters = try decoder.optional(field + ".adapters") { decoder throws(PersistedStateError) in
            try decoder.mask(field + ".adapters")
        }
        readBack.domains = try decoder.optional(field + ".domains") { decoder throws(PersistedStateError) in
            try decoder.mask(field + ".domains")
        }
        readBack.controlDomains = try decoder.optional(field + ".control_domains") { decoder throws(PersistedStateError) in
            try decoder.mask(field + ".control_domains")
        }
        readBack.seq = try decoder.optional(field + ".read_back_seq") { decoder throws(PersistedStateError) in
            try decoder.varint(field + ".read_back_seq")
        }
        for index in 0..<(try decoder.count(field + ".events", minimumSize: 2)) {
            let eventField = field + ".events[\(index)]"
            let seq = try decoder.varint(eventField + ".seq")
            var properties: [Uevent.Property] = []
            for _ in 0..<(try decoder.count(eventField + ".properties", minimumSize: 2)) {
                let key = try decoder.string(eventField + ".key")
                properties.append(Uevent.Property(key, try decoder.string(eventField + ".value")))
            }
            let uevent = Uevent(properties: properties)
            guard let action = uevent.action.flatMap(UeventAction.init(text:)),
                  let device = uevent.devpath.flatMap(APDevice.init(devpath:)).flatMap(Device.init) else {
                throw decoder.error(.invalidValue("a held event that is no card or queue uevent"), eventField)
            }
            hold(HeldEvent(uevent: uevent, action: action, device: device, seq: seq))
        }
        self.lastSeq = lastSeq
        self.closed = closed
    }
}

extension OpenScan.Device {
    /// The card or queue `device` is, or nil.
    init?(_ device: APDevice) {
        switch device {
        case .card(let id): self = .card(id)
        case .queue(let apqn): self = .queue(apqn)
        case .busRoot, .matrix, .mdev: return nil
        }
    }
}
