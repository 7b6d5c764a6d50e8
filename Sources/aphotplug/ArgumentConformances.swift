import APModel
import ArgumentParser
import Udev

// The command line takes the model's own enums: one type per choice, named as
// the model names it.

/// `--source udev|kernel` (`daemon`, `record`, `monitor`), libudev's group names.
extension UdevMonitorConfiguration.Source: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
    public var defaultValueDescription: String { name }
    public static var allValueStrings: [String] { allCases.map(\.name) }
}

/// `aphotplug guest attach|detach`, the actions of a guest record.
extension GuestRecord.Action: ExpressibleByArgument {}
