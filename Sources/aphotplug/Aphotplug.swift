import ArgumentParser

/// The `aphotplug` command: hot plug agent for s390 AP (crypto) passthrough to KVM guests.
@main
struct Aphotplug: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aphotplug",
        abstract: "Event-driven hot plug agent for s390 AP (crypto) passthrough to KVM guests.",
        discussion: """
            aphotplug follows AP card and queue uevents and vfio_ap mediated devices, predicts \
            each guest's AP configuration the way the kernel's vfio_ap driver computes it, and \
            reports plugs, unplugs, withheld adapters, sharing conflicts and live-migration blockers.
            """,
        version: "0.1.0",
        subcommands: [ReplayCommand.self, WhatIfCommand.self, HookCommand.self, MonitorCommand.self, SimulateCommand.self, DaemonCommand.self, HandleCommand.self, StatusCommand.self, GuestCommand.self, RecordCommand.self, DemoCommand.self]
    )
}
