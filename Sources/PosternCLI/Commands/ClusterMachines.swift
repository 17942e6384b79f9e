import Foundation
import PosternConfig
import PosternStore

/// `clusterconfig` MACHINES: the settings that stay per machine. In AsyncOS terms the machine
/// level overrides the cluster level: each machine's hostname, IP interfaces and listener
/// addresses are its own; the rest is the fleet's. Stored in etcd under `machines/<name>/overrides`.
enum ClusterMachines {
    static let item = MenuItem("MACHINES", "View and edit the settings at the machine level (they override the cluster level).")

    /// The machine level, as `clusterconfig` shows it.
    static func describe(_ name: String, _ overrides: MachineOverrides) -> [String] {
        var lines = ["  \(name) (machine level): hostname \(overrides.hostname)"]
        for interface in overrides.interfaces {
            lines.append("    interface \(interface.name): \(interface.address)/\(interface.prefixLength) (\(interface.hostname))")
        }
        for listener in overrides.listeners.keys.sorted() {
            let address = overrides.listeners[listener]!
            lines.append("    listener \(listener): interface \(address.interface), port \(address.port)")
        }
        return lines
    }

    /// EDIT: one machine's hostname and listener addresses, committed at once as a fleet generation.
    /// Its IP interfaces are edited on that machine (interfaceconfig), since they are its own addresses.
    static func run(_ fleet: any FleetService, _ view: FleetView, session: CLISession, dialog: Dialog)
        throws(DialogAbort) -> CommandStatus
    {
        for name in view.machines { describe(name, view.overrides[name]!).forEach { dialog.show($0) } }
        guard let verb = try dialog.menu([MenuItem("EDIT", "Edit a machine's hostname and listener addresses.")]),
            verb == "EDIT"
        else { return .ok }
        let names = view.machines
        let machine = try dialog.text("Enter the name of the machine:", default: view.settings.machine, key: "machine") {
            names.contains($0) ? nil : DialogError("The machines of this fleet are: \(names.joined(separator: ", ")).")
        }
        var overrides = view.overrides[machine]!
        overrides.hostname = try dialog.text("Enter the hostname of \(machine):", default: overrides.hostname, key: "hostname") {
            Hostname.isValid($0) ? nil : DialogError("That is not a valid hostname.")
        }
        let interfaces = overrides.interfaces.map(\.name)
        for listener in overrides.listeners.keys.sorted() {
            var address = overrides.listeners[listener]!
            address.interface = try dialog.text("Enter the interface of listener \(listener) on \(machine):",
                                                default: address.interface, key: "\(listener)-interface") {
                interfaces.contains($0) ? nil : DialogError("The interfaces of \(machine) are: \(interfaces.joined(separator: ", ")).")
            }
            address.port = try dialog.number("Enter the port of listener \(listener) on \(machine):", default: address.port,
                                             range: 1...65535, key: "\(listener)-port")
            overrides.listeners[listener] = address
        }
        guard overrides != view.overrides[machine] else {
            dialog.say("The machine level settings of \(machine) are unchanged.")
            return .ok
        }
        do {
            let record = try fleet.setOverrides(home: session.home, machine: machine, overrides: overrides,
                                                user: session.user, source: session.source)
            session.baseChanged()
            dialog.say("The machine level settings of \(machine) were committed as generation \(record.generation).")
        } catch {
            dialog.error(error.description)
            return .failed
        }
        return .ok
    }
}
