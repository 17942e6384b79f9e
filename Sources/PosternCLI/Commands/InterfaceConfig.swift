import PosternConfig

/// `interfaceconfig`: the IP interfaces listeners bind to (name, address, prefix, hostname).
struct InterfaceConfigCommand: CLICommand {
    let name = "interfaceconfig"
    let summary = "Configure the IP interfaces."
    let usage = """
        interfaceconfig
            Lists the interfaces, then NEW, EDIT, DELETE.
        interfaceconfig new <name> <address> <prefix-length> <hostname>
        interfaceconfig edit <name> <name> <address> <prefix-length> <hostname>
        interfaceconfig delete <name>
        interfaceconfig edit <name> --https=<port>|no [--http=<port>|no] [--certificate=<profile>]
            Where the web interface listens: HTTPS on <port>, plain HTTP redirecting to it.
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            let interfaces = context.configuration.interfaces
            dialog.show(interfaces.isEmpty ? "\nNo interfaces configured." : "\nCurrently configured interfaces:\n"
                + interfaces.enumerated().map { "\($0.offset + 1). \(Formatting.interfaceLabel($0.element))" }
                    .joined(separator: "\n"))
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new interface."),
                MenuItem("EDIT", "Modify an interface."),
                MenuItem("DELETE", "Remove an interface."),
            ]) else { return .ok }
            switch operation {
            case "NEW":
                let interface = try ask(context, current: nil)
                context.configuration.interfaces.append(interface)
                dialog.say("Interface \(interface.name) created.")
            case "EDIT":
                guard !interfaces.isEmpty else { dialog.error("There are no interfaces to edit."); continue }
                guard let index = try dialog.pickItem("Enter the name or number of the interface you wish to edit.",
                                                      names: interfaces.map(\.name), listing: []) else { continue }
                let old = interfaces[index]
                let new = try ask(context, current: old)
                context.configuration.interfaces[index] = new
                if new.name != old.name {
                    for i in context.configuration.listeners.indices where context.configuration.listeners[i].interface == old.name {
                        context.configuration.listeners[i].interface = new.name
                    }
                }
            default:
                guard !interfaces.isEmpty else { dialog.error("There are no interfaces to delete."); continue }
                guard let index = try dialog.pickItem("Enter the name or number of the interface you wish to delete.",
                                                      names: interfaces.map(\.name), listing: []) else { continue }
                let users = context.configuration.listeners.filter { $0.interface == interfaces[index].name }.map(\.name)
                guard users.isEmpty else {
                    dialog.error("The interface \(interfaces[index].name) is used by the listener "
                        + "\(users.joined(separator: ", ")); delete or move the listener first.")
                    if dialog.mode == .batch { throw .invalidArgument("The interface is in use.") }
                    continue
                }
                context.configuration.interfaces.remove(at: index)
                dialog.say("Interface \(interfaces[index].name) deleted.")
            }
        }
    }

    private func ask(_ context: CommandContext, current: IPInterface?) throws(DialogAbort) -> IPInterface {
        let dialog = context.dialog
        let others = context.configuration.interfaces.filter { $0.name != current?.name }
        let name = try dialog.text("Please enter a name for this IP interface (Ex: \"InternalNet\"):",
                                   default: current?.name ?? "", key: "name", required: true) { answer in
            ListenerConfigCommand.nameProblem(answer, taken: Set(others.map(\.name)), what: "interface")
        }
        let address = try dialog.ask("Enter the IP address for this interface.", default: current.map { "\($0.address)" },
                                     key: "address") { answer -> Result<IPAddress, DialogError> in
            guard let address = IPAddress(answer) else {
                return .failure(DialogError("The IP address must be 4 numbers between 0 and 255 separated by "
                    + "periods, or an IPv6 address."))
            }
            if others.contains(where: { $0.address == address }) {
                return .failure(DialogError("The IP address \"\(answer)\" is already configured on another interface."))
            }
            return .success(address)
        }
        let width = address.bitWidth
        let prefix = try dialog.ask("Enter the netmask or prefix length for this interface (for example 24 or "
                                    + "255.255.255.0).", default: current.map { String($0.prefixLength) }
                                        ?? (address.isIPv4 ? "24" : "64"), key: "prefix") { answer -> Result<Int, DialogError> in
            if let n = Int(answer), (0...width).contains(n) { return .success(n) }
            if address.isIPv4, case .v4(let mask)? = IPAddress(answer), mask.leadingZeroBitCount == 0 || mask == 0,
                (~mask).nonzeroBitCount == mask.trailingZeroBitCount
            {
                return .success(mask.nonzeroBitCount)
            }
            return .failure(DialogError("Value must be between 0 and \(width), or a netmask such as 255.255.255.0."))
        }
        let hostname = try dialog.text("Enter the hostname for this interface.",
                                       default: current?.hostname ?? context.configuration.hostname, key: "hostname",
                                       required: true) { answer in
            Hostname.isValid(answer) ? nil : DialogError("A hostname must be like mail.example.com.")
        }
        var interface = IPInterface(name: name, address: address, prefixLength: prefix, hostname: hostname)
        try askWeb(context, into: &interface, current: current)
        return interface
    }

    /// The web interface on this address (AsyncOS asks per service): HTTPS and its port, HTTP
    /// redirecting to it, and the certificate HTTPS presents. `--https=8443` answers the first
    /// two at once; `--https=no` turns it off.
    private func askWeb(_ context: CommandContext, into interface: inout IPInterface, current: IPInterface?)
        throws(DialogAbort)
    {
        let dialog = context.dialog
        let listenerPorts = Set(context.configuration.listeners.filter { $0.interface == current?.name }.map(\.port))
        func port(_ service: String, key: String, current: Int?, fallback: Int, taken: Set<Int>) throws(DialogAbort)
            -> Int?
        {
            let enabled = try dialog.ask("", prompt: "Do you want to enable \(service) on this interface? "
                                         + "[\(current == nil ? "N" : "Y")]> ", default: current == nil ? "N" : "Y",
                                         key: key, choices: ["yes", "no"]) { answer -> Result<Int?, DialogError> in
                switch answer.lowercased() {
                case "y", "yes": return .success(0)
                case "n", "no": return .success(nil)
                default:
                    guard let number = Int(answer), (1...65535).contains(number) else {
                        return .failure(DialogError("Please answer yes or no, or give a port between 1 and 65535."))
                    }
                    if taken.contains(number) {
                        return .failure(DialogError("Port \(number) is already used on this interface."))
                    }
                    return .success(number)
                }
            }
            guard let enabled else { return nil }
            if enabled != 0 { return enabled }
            return try dialog.ask("Which port do you want to use for \(service)?", default: String(current ?? fallback),
                                  key: key + "-port") { answer -> Result<Int, DialogError> in
                guard let number = Int(answer), (1...65535).contains(number) else {
                    return .failure(DialogError("Value must be between 1 and 65535."))
                }
                if taken.contains(number) { return .failure(DialogError("Port \(number) is already used on this interface.")) }
                return .success(number)
            }
        }
        interface.httpsPort = try port("HTTPS", key: "https", current: current?.httpsPort,
                                       fallback: FactoryDefaults.guiHTTPSPort, taken: listenerPorts)
        guard let https = interface.httpsPort else { return }
        interface.httpPort = try port("HTTP, redirecting to HTTPS,", key: "http", current: current?.httpPort,
                                      fallback: 80, taken: listenerPorts.union([https]))
        let profiles = context.configuration.certificates.map(\.name)
        let chosen = current?.certificate ?? FactoryDefaults.demoCertificateName
        if profiles.count > 1 || !profiles.contains(chosen) {
            let index = try dialog.choose("Choose the certificate for HTTPS on this interface:", items: profiles,
                                          default: profiles.firstIndex(of: chosen) ?? 0, key: "certificate")
            interface.certificate = profiles[index] == FactoryDefaults.demoCertificateName ? nil : profiles[index]
        } else {
            interface.certificate = current?.certificate
        }
    }
}

/// `showconfig`: the pending configuration as the store writes it.
struct ShowConfigCommand: CLICommand {
    let name = "showconfig"
    let summary = "Display the configuration (with this session's pending changes)."
    let takesArguments = false
    let usage = "showconfig\n    Prints the configuration as canonical JSON; keys are files under certs/, never shown."

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        guard let data = try? CanonicalJSON.encode(context.configuration) else { return .failed }
        context.dialog.say(String(decoding: data, as: UTF8.self), terminator: "")
        return .ok
    }
}
