import PosternConfig

/// `listenerconfig` (asyncos-cli.md §1): the listener list, then NEW, EDIT, DELETE, SETUP.
struct ListenerConfigCommand: CLICommand {
    let name = "listenerconfig"
    let summary = "Configure mail listeners (including the Host Access Table and TLS)."
    let usage = """
        listenerconfig
            Lists the listeners, then NEW, EDIT, DELETE, SETUP.
        listenerconfig new <name> <public|private|blackhole> <interface> <smtp> [--port=25]
                [--accept=domain,domain] [--relay=host,host]
        listenerconfig edit <name> <operation ...>
            e.g. listenerconfig edit InboundMail hostaccess default --tls=required
                 listenerconfig edit InboundMail hostaccess new sendergroup PARTNERS 10.1.1.0/24 $TRUSTED --comment="x"
                 listenerconfig edit InboundMail hostaccess print | export <file> | import <file>
                 listenerconfig edit InboundMail limits <connections> <tcp-queue>
        listenerconfig delete <name> [Y]
        listenerconfig setup [--max_connections=n] [--idle_timeout=s] [--max_connection_time=s] [--reverse_dns_timeout=s] ...
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            dialog.show(Formatting.listenerList(context.configuration))
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new listener."),
                MenuItem("EDIT", "Modify a listener."),
                MenuItem("DELETE", "Remove a listener."),
                MenuItem("SETUP", "Change global settings."),
            ]) else { return .ok }
            switch operation {
            case "NEW": try newListener(context)
            case "EDIT":
                guard !context.configuration.listeners.isEmpty else {
                    dialog.error("There are no listeners to edit.")
                    continue
                }
                guard let index = try pickListener(context, "Enter the name or number of the listener you wish to edit.")
                else { continue }
                try ListenerEditor(context: context, index: index).run()
            case "DELETE":
                guard !context.configuration.listeners.isEmpty else {
                    dialog.error("There are no listeners to delete.")
                    continue
                }
                guard let index = try pickListener(context, "Enter the name or number of the listener you wish to delete.")
                else { continue }
                let listenerName = context.configuration.listeners[index].name
                if try dialog.yesNo("Are you sure you want to delete the listener \(listenerName)?", default: false,
                                    key: "confirm") {
                    context.configuration.listeners.remove(at: index)
                    dialog.say("Listener \(listenerName) deleted.")
                }
            default: try setup(context)
            }
        }
    }

    private func pickListener(_ context: CommandContext, _ question: String) throws(DialogAbort) -> Int? {
        try context.dialog.pickItem(question, names: context.configuration.listeners.map(\.name), listing: [])
    }

    // MARK: NEW (§1.2)

    private func newListener(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        let config = context.configuration
        // The batch grammar names the listener first; the interactive dialog asks the type first.
        let batch = dialog.hasPendingArguments
        var name = ""
        if batch { name = try askName(context) }
        let typeIndex = try dialog.choose("Please select the type of listener you want to create.",
                                          items: ListenerType.allCases.map(\.label), default: 1, key: "type")
        let type = ListenerType.allCases[typeIndex]
        if !batch { name = try askName(context) }
        guard !config.interfaces.isEmpty else {
            dialog.error("There is no IP interface; create one with interfaceconfig first.")
            return
        }
        let interfaceIndex = try dialog.choose("Please choose an IP interface for this Listener.",
                                               items: config.interfaces.map(Formatting.interfaceLabel), default: 0,
                                               key: "interface", names: config.interfaces.map(\.name))
        let interface = config.interfaces[interfaceIndex]
        _ = try dialog.choose("Choose a protocol.", items: ["SMTP"], default: 0, key: "protocol")
        let port = try askPort(context, interface: interface, current: 25, excluding: nil)
        var listener: Listener
        switch type {
        case .public, .blackhole:
            let domains = try dialog.ask("""
                Please specify the domain names or specific email addresses you want to accept mail for.
                Hostnames such as "example.com" are allowed.
                Partial hostnames such as ".example.com" are allowed.
                Usernames such as "postmaster@" are allowed.
                Full email addresses such as "joe@example.com" or "joe@[1.2.3.4]" are allowed.
                Separate multiple addresses with commas.
                """, default: type == .blackhole ? "" : nil, key: "accept") { text -> Result<[RecipientPattern], DialogError> in
                var patterns: [RecipientPattern] = []
                for part in text.split(separator: ",") where !part.trimmingWhitespace().isEmpty {
                    do throws(SenderEntryError) { patterns.append(try RecipientPattern(parsing: String(part))) } catch {
                        return .failure(DialogError(error.message))
                    }
                }
                if patterns.isEmpty && type == .public { return .failure(DialogError("Please enter a value.")) }
                return .success(patterns)
            }
            listener = FactoryDefaults.publicListener(name: name, interface: interface.name, port: port,
                                                      acceptDomains: [])
            listener.type = type
            listener.recipientAccess = RecipientAccessTable(
                entries: domains.map { RecipientAccessEntry(pattern: $0, action: .accept) }, all: .reject)
        case .private:
            let hosts = try dialog.ask("""
                Please specify the systems allowed to relay email through the Postern appliance.
                Hostnames such as "example.com" are allowed.
                Partial hostnames such as ".example.com" are allowed.
                IP addresses, IP address ranges, and partial IP addresses are allowed.
                Separate multiple entries with commas.
                """, default: nil, key: "relay") { Formatting.senders($0) }
            listener = FactoryDefaults.privateListener(name: name, interface: interface.name, port: port, relayFor: hosts)
        }
        dialog.show("\n" + PolicySummary.lines(listener.hostAccess.defaultParameters).joined(separator: "\n"))
        if try dialog.yesNo("Would you like to change the default host access policy?", default: false,
                            key: "change_defaults") {
            var policy = PolicyDialog(dialog: dialog, inherited: nil, usesDemoCertificate: true)
            policy.addressLists = context.configuration.addressListsValue.map(\.name)
            let answers = try policy.run(PolicyOverrides(), base: listener.hostAccess.defaultParameters)
            listener.hostAccess.defaultParameters = listener.hostAccess.defaultParameters.resolved(with: answers)
        }
        context.configuration.listeners.append(listener)
        dialog.say("\nListener \(name) created.")
        dialog.show("Defaults have been set for a \(type.label) listener.\n"
            + "Use the listenerconfig->EDIT command to customize the listener.")
    }

    private func askName(_ context: CommandContext) throws(DialogAbort) -> String {
        let existing = Set(context.configuration.listeners.map(\.name))
        return try context.dialog.text("Please create a name for this listener (Ex: \"IncomingMail\"):", key: "name",
                                       required: true) { answer in
            ListenerConfigCommand.nameProblem(answer, taken: existing, what: "listener")
        }
    }

    /// The rule of Configuration.validate() (Validator.isName): names are compared without
    /// case, since every picker finds them without case (`PARTNERS` and `partners` would be
    /// one name to the admin).
    static func nameProblem(_ name: String, taken: Set<String>, what: String) -> DialogError? {
        if let other = taken.first(where: { $0.lowercased() == name.lowercased() }) {
            return DialogError("The \(what) name \"\(name)\" is already in use (as \"\(other)\").")
        }
        return ConfigNames.isValid(name) ? nil : DialogError(ConfigNames.rule)
    }

    /// The port question; a port another listener holds on that interface is refused.
    static func askPort(_ context: CommandContext, interface: IPInterface, current: Int, excluding: String?)
        throws(DialogAbort) -> Int
    {
        let config = context.configuration
        return try context.dialog.ask("Please enter the TCP port for this listener.", default: String(current),
                                      key: "port") { answer in
            guard let port = Int(answer), (1...65535).contains(port) else {
                return .failure(DialogError("Value must be between 1 and 65535."))
            }
            let sameAddress = config.listeners.filter {
                $0.name != excluding && $0.port == port && config.interface(named: $0.interface)?.address == interface.address
            }
            if let other = sameAddress.first {
                return .failure(DialogError("The value must be a free port: \(port) on \(interface.name) is used by "
                    + "listener \(other.name)."))
            }
            return .success(port)
        }
    }

    private func askPort(_ context: CommandContext, interface: IPInterface, current: Int, excluding: String?)
        throws(DialogAbort) -> Int
    {
        try ListenerConfigCommand.askPort(context, interface: interface, current: current, excluding: excluding)
    }

    // MARK: SETUP (§1.4)

    private func setup(_ context: CommandContext) throws(DialogAbort) {
        let dialog = context.dialog
        var s = context.configuration.listenerSettings
        s.maxConnections = try dialog.number("Please enter the global limit for concurrent connections to be allowed "
                                             + "across all listeners.", default: s.maxConnections, range: 1...100_000,
                                             key: "max_connections")
        s.maxTLSConnections = try dialog.number("Please enter the global limit for concurrent TLS connections to be "
                                                + "allowed across all listeners.", default: s.maxTLSConnections,
                                                range: 1...100_000, key: "max_tls_connections")
        s.maxHeaderLines = try dialog.number("Enter the maximum number of message header lines. 0 indicates no limit.",
                                             default: s.maxHeaderLines, range: 0...100_000, key: "max_header_lines")
        s.idleTimeout = try dialog.number("Enter the timeout for unsuccessful inbound connections, in seconds.",
                                          default: s.idleTimeout, range: 1...86_400, key: "idle_timeout")
        s.maxConnectionTime = try dialog.number("Enter the maximum connection time for inbound connections, in seconds.",
                                                default: s.maxConnectionTime, range: 1...86_400,
                                                key: "max_connection_time")
        s.reverseDNSTimeout = try dialog.number("Enter the number of seconds to wait before timing out reverse DNS "
                                                + "lookups. 0 skips the lookup.", default: s.reverseDNSTimeout,
                                                range: 0...3_600, key: "reverse_dns_timeout")
        context.configuration.listenerSettings = s
    }
}
