import Foundation
import PosternConfig
import PosternStore

/// `clusterconfig`: this machine standalone or in a fleet whose configuration lives in etcd
/// (Docs/fleet.md). Interfaces, listener addresses and the hostname stay per machine; the
/// rest is the fleet's, and `commit` goes to every member.
struct ClusterConfigCommand: CLICommand {
    let name = "clusterconfig"
    let summary = "Run this machine standalone or in a fleet of gateways with one configuration (etcd)."
    let usage = """
        clusterconfig
            Shows whether this machine is standalone or in a fleet: the fleet's name, its etcd
            endpoints, its generation, and every member with the generation it applied.
            CREATE starts a fleet from this machine's committed configuration, JOIN takes a
            fleet's configuration (this machine's own stays in its history), LEAVE makes the
            machine standalone again, keeping the configuration it last applied. MACHINES shows
            and edits each machine's own settings (the machine level overrides the cluster level),
            committed at once as a generation of the fleet.
        clusterconfig create FLEET --endpoints=URL,URL,URL [--machine=NAME]
        clusterconfig join FLEET --endpoints=URL,URL,URL [--machine=NAME]
        clusterconfig leave
            Batch forms. Options for etcd with TLS and users: --cacert=FILE --cert=FILE
            --key=FILE (PEM files in the home's fleet/ directory) --user=NAME; the password is
            read from the environment variable POSTERN_ETCD_PASSWORD, else from the next line of
            standard input (with echo off on a terminal), never from the command line.
            Interactively, CREATE and JOIN ask for the same (the TLS files when an endpoint is https).
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let session = context.session
        let dialog = context.dialog
        guard let fleet = session.fleet else {
            dialog.error("This build of postern has no fleet support.")
            return .failed
        }
        let member = FleetSettings.load(session.home)
        if !dialog.hadArguments { show(fleet, session: session, dialog: dialog) }
        let items = member == nil
            ? [MenuItem("CREATE", "Create a new fleet from this machine's configuration."),
               MenuItem("JOIN", "Join an existing fleet.")]
            : [MenuItem("LEAVE", "Leave the fleet; keep the configuration last applied."), ClusterMachines.item]
        guard let verb = try dialog.menu(items) else { return .ok }
        switch verb {
        case "CREATE", "JOIN":
            let fleetName = try dialog.text("Enter the name of the fleet:", key: "fleet", required: true) { answer in
                answer.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
                    ? nil : DialogError("A fleet name is letters, digits, '-' and '_'.")
            }
            let endpoints = try dialog.text("Enter the etcd endpoints, separated by commas:", key: "endpoints",
                                            required: true) { answer in
                Self.endpoints(answer).isEmpty ? DialogError("Enter URLs such as http://192.0.2.1:2379.") : nil
            }
            let machine = try dialog.text("Enter this machine's name in the fleet:",
                                          default: session.base.configuration.hostname, key: "machine")
            var settings = FleetSettings(fleet: fleetName, machine: machine, endpoints: Self.endpoints(endpoints))
            let password = try credentials(dialog, &settings)
            do {
                if verb == "CREATE" {
                    let record = try fleet.create(home: session.home, settings: settings, password: password,
                                                  user: session.user, source: session.source)
                    session.baseChanged()
                    dialog.say("Fleet \(fleetName) created from \(machine) at generation \(record.generation).")
                } else {
                    let joined = try fleet.join(home: session.home, settings: settings, password: password)
                    session.baseChanged()
                    dialog.say("\(machine) joined fleet \(fleetName) at generation \(joined.generation).")
                    if let archive = joined.archivedHistory {
                        dialog.say("This machine's standalone history is kept in \(archive).")
                    }
                }
            } catch {
                dialog.error(error.description)
                return .failed
            }
        case "MACHINES":
            let view: FleetView
            do { view = try fleet.view(home: session.home) } catch {
                dialog.error(error.description)
                return .failed
            }
            return try ClusterMachines.run(fleet, view, session: session, dialog: dialog)
        case "LEAVE":
            do { try fleet.leave(home: session.home) } catch {
                dialog.error(error.description)
                return .failed
            }
            dialog.say("\(member?.machine ?? "This machine") left fleet \(member?.fleet ?? ""); it is standalone "
                + "and keeps serving generation \(session.base.commit.generation).")
        default:
            fatalError("clusterconfig: a menu verb without a case: \(verb)")
        }
        return .ok
    }

    /// How this machine reaches etcd: TLS files (asked when an endpoint is https, or given as
    /// options) and etcd's own user. The password is never an argument: POSTERN_ETCD_PASSWORD,
    /// else asked (echo off on a terminal; in batch mode the next line of standard input).
    private func credentials(_ dialog: Dialog, _ settings: inout FleetSettings) throws(DialogAbort) -> String? {
        func file(_ question: String, _ key: String) throws(DialogAbort) -> String? {
            let value = try dialog.text(question, default: "", key: key) { answer in
                answer.contains("/") || answer.hasPrefix(".")
                    ? DialogError("Enter the name of a PEM file in the home's fleet/ directory.") : nil
            }
            return value.isEmpty ? nil : value
        }
        if settings.endpoints.contains(where: { $0.hasPrefix("https://") }) || dialog.hasOptions {
            settings.caFile = try file("Enter the CA certificate file that signed etcd's certificates "
                + "(a PEM file in fleet/; Enter for the system's CAs):", "cacert")
            settings.certificateFile = try file("Enter this machine's client certificate file for etcd "
                + "(a PEM file in fleet/; Enter for none):", "cert")
            if settings.certificateFile != nil {
                settings.keyFile = try file("Enter the client certificate's private key file (a PEM file in fleet/):", "key")
                if settings.keyFile == nil { throw .invalidArgument("A client certificate needs its private key file.") }
            }
        }
        let user = try dialog.text("Enter the etcd user name (Enter if etcd has no users):", default: "", key: "user")
        guard !user.isEmpty else { return nil }
        settings.username = user
        if let password = ProcessInfo.processInfo.environment["POSTERN_ETCD_PASSWORD"], !password.isEmpty { return password }
        return try dialog.secret("Enter the password of etcd user \(user):")
    }

    static func endpoints(_ text: String) -> [String] {
        let urls = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard urls.allSatisfy({ $0.hasPrefix("http://") || $0.hasPrefix("https://") }) else { return [] }
        return urls.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    private func show(_ fleet: any FleetService, session: CLISession, dialog: Dialog) {
        guard FleetSettings.load(session.home) != nil else {
            dialog.say("This machine is standalone (not in a fleet).")
            return
        }
        let view: FleetView
        do { view = try fleet.view(home: session.home) } catch {
            let settings = FleetSettings.load(session.home)
            dialog.say("This machine (\(settings?.machine ?? "")) is in fleet \(settings?.fleet ?? "").")
            dialog.say("etcd endpoints: \(settings?.endpoints.joined(separator: ", ") ?? "")")
            dialog.error(error.description)
            return
        }
        dialog.say("This machine (\(view.settings.machine)) is in fleet \(view.settings.fleet).")
        dialog.say("etcd endpoints: \(view.settings.endpoints.joined(separator: ", "))")
        if let current = view.current {
            dialog.say("Fleet generation: \(current.generation), committed by \(current.user) from \(current.source) "
                + "on \(view.currentMachine ?? "?") at \(CommitCommand.format(current.time)): \"\(current.comment)\"")
        }
        dialog.say("Members:")
        let running = Dictionary(view.members.map { ($0.machine, $0) }, uniquingKeysWith: { a, _ in a })
        for machine in Set(view.machines).union(running.keys).sorted() {
            if let member = running[machine] {
                var line = "  \(machine): generation \(member.appliedGeneration), last seen \(CommitCommand.format(member.seen))"
                if let error = member.lastError { line += "; last error: \(error)" }
                dialog.say(line)
            } else {
                dialog.say("  \(machine): not running (no engine reports)")
            }
        }
        if !view.overrides.isEmpty {
            dialog.say("Settings at the machine level (they override the cluster level):")
            for machine in view.machines { ClusterMachines.describe(machine, view.overrides[machine]!).forEach(dialog.say) }
        }
    }
}
