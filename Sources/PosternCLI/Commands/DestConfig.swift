import PosternConfig

/// `destconfig` (asyncos-cli.md §5.3): per-domain delivery controls and the TLS level of
/// delivery (§3.2), the default for other domains, and SETUP (client certificate, alert).
struct DestConfigCommand: CLICommand {
    let name = "destconfig"
    let summary = "Configure destination controls: TLS and limits for delivery to each domain."
    let usage = """
        destconfig
            NEW, EDIT, DELETE, DEFAULT, LIST, DETAIL, SETUP.
        destconfig new <domain> [--concurrency=n] [--recipients=n] [--messages=n] [--tls=no|preferred|required|preferred-verify|required-verify]
        destconfig edit <domain> [options as for new]
        destconfig default [options as for new]
        destconfig delete <domain>
        destconfig setup [--certificate=<profile>] [--alert=yes|no]
        destconfig list | detail <domain|default|all>
        """

    func run(_ context: CommandContext) throws(DialogAbort) -> CommandStatus {
        let dialog = context.dialog
        while true {
            guard let operation = try dialog.menu([
                MenuItem("NEW", "Create a new entry."),
                MenuItem("EDIT", "Modify an entry."),
                MenuItem("DELETE", "Remove an entry."),
                MenuItem("DEFAULT", "Change the default."),
                MenuItem("LIST", "Display a summary list of all entries."),
                MenuItem("DETAIL", "Display details for one destination or all entries."),
                MenuItem("CLEAR", "Remove all entries."),
                MenuItem("SETUP", "Change global settings."),
            ]) else { return .ok }
            var controls = context.configuration.delivery.destinations
            switch operation {
            case "NEW":
                let taken = Set(controls.entries.map(\.domain))
                let domain = try dialog.text("Enter the domain you wish to configure.", key: "domain", required: true) {
                    DestConfigCommand.domainProblem($0) ?? (taken.contains($0.lowercased())
                        ? DialogError("The destination \"\($0)\" already exists; use EDIT.") : nil)
                }.lowercased()
                controls.entries.append(try ask(DestinationControl(domain: domain), dialog: dialog, isDefault: false,
                                                certificate: controls.certificate))
                dialog.say("Destination \(domain) created.")
            case "EDIT", "DELETE":
                guard !controls.entries.isEmpty else {
                    dialog.error("No destination control table action for any domain: the table is empty.")
                    continue
                }
                guard let index = try dialog.pickItem(
                    "Enter the domain you wish to \(operation == "EDIT" ? "edit" : "delete").",
                    names: controls.entries.map(\.domain)) else { continue }
                if operation == "EDIT" {
                    controls.entries[index] = try ask(controls.entries[index], dialog: dialog, isDefault: false,
                                                      certificate: controls.certificate)
                } else {
                    dialog.say("Destination \(controls.entries.remove(at: index).domain) deleted.")
                }
            case "CLEAR":
                // asyncos-cli.md l.852: the table's entries go; the default stays.
                guard try dialog.yesNo("Do you want to clear all destination entries?", default: false,
                                       key: "confirm") else { continue }
                dialog.say("\(Formatting.count(controls.entries.count, "destination entry", "destination entries")) removed.")
                controls.entries = []
            case "DEFAULT":
                controls.default = try ask(controls.default, dialog: dialog, isDefault: true, certificate: controls.certificate)
            case "LIST":
                dialog.say(list(controls))
            case "DETAIL":
                let which = try dialog.text("Enter the domain name to view, or enter DEFAULT to view details for the "
                                            + "default, or enter ALL to view details for all:", default: "ALL",
                                            key: "domain")
                let wanted = which.uppercased() == "ALL" ? [controls.default] + controls.entries
                    : which.uppercased() == "DEFAULT" ? [controls.default]
                    : controls.entries.filter { $0.domain == which.lowercased() }
                if wanted.isEmpty {
                    dialog.error("\"\(which)\" was not found in the destination control table.")
                    if dialog.mode == .batch { return .failed }
                }
                for control in wanted { dialog.say(detail(control, default: controls.default)) }
            default:
                let profiles = context.configuration.certificates.map(\.name)
                let current = profiles.firstIndex(of: controls.certificate ?? FactoryDefaults.demoCertificateName) ?? 0
                let chosen = try dialog.choose("Please choose the certificate to present when a receiver asks for one.",
                                               items: profiles, default: current, key: "certificate")
                controls.certificate = profiles[chosen] == FactoryDefaults.demoCertificateName ? nil : profiles[chosen]
                controls.alertOnRequiredTLSFailure = try dialog.yesNo(
                    "Do you want to send an alert when a required TLS connection fails?",
                    default: controls.alertOnRequiredTLSFailure, key: "alert")
            }
            context.configuration.delivery.destinations = controls
        }
    }

    static func domainProblem(_ text: String) -> DialogError? {
        let name = text.hasPrefix(".") ? String(text.dropFirst()) : text
        return Hostname.isValidDomain(name) ? nil : DialogError("A hostname must be like example.com or .example.com.")
    }

    /// The NEW/EDIT/DEFAULT questions (§5.3). For an entry, answering No to "apply a specific
    /// …" takes the default's value.
    private func ask(_ current: DestinationControl, dialog: Dialog, isDefault: Bool, certificate: String?)
        throws(DialogAbort) -> DestinationControl
    {
        var c = current
        let label = isDefault ? "the default" : current.domain
        func limited(_ question: String, _ value: Int?, _ key: String, _ range: ClosedRange<Int>, _ fallback: Int)
            throws(DialogAbort) -> Int?
        {
            if !isDefault {
                guard try dialog.yesNo(question, default: value != nil, key: "specific_" + key) else { return nil }
            }
            return try dialog.number("Enter the max \(key == "concurrency" ? "concurrency limit" : "number of \(key) per connection") for \(label).",
                                     default: value ?? fallback, range: range, key: key)
        }
        let keysGiven = dialog.hasOptions
        if keysGiven && !isDefault {
            // Batch: options set their value; options left out keep the current one.
            c.concurrency = try optional("concurrency", c.concurrency, 1...10_000, dialog)
            c.recipientsPerConnection = try optional("recipients", c.recipientsPerConnection, 1...100_000, dialog)
            c.messagesPerConnection = try optional("messages", c.messagesPerConnection, 1...100_000, dialog)
            c.tls = try optionalTLS(c.tls, dialog)
            return c
        }
        c.concurrency = try limited("Do you wish to configure a concurrency limit for \(label)?", c.concurrency,
                                    "concurrency", 1...10_000, 500)
        c.recipientsPerConnection = try limited("Do you wish to apply a recipient limit to this domain?",
                                                c.recipientsPerConnection, "recipients", 1...100_000, 50)
        c.messagesPerConnection = try limited("Do you wish to apply a messages-per-connection limit to this domain?",
                                              c.messagesPerConnection, "messages", 1...100_000, 50)
        let specificTLS = isDefault ? true : try dialog.yesNo(
            "Do you wish to apply a specific TLS setting for this domain?", default: c.tls != nil, key: "specific_tls")
        if specificTLS {
            let levels = TLSLevel.allCases
            let index = try dialog.choose("Do you want to use TLS support?", items: levels.map(\.label),
                                          default: levels.firstIndex(of: c.tls ?? .no), key: "tls")
            c.tls = levels[index]
        } else {
            c.tls = nil
        }
        if (c.tls ?? .no) != .no && certificate == nil {
            dialog.show("You have not entered a certificate (destconfig > SETUP); receivers that ask for one get the "
                + "demo certificate.")
        }
        return c
    }

    private func optional(_ key: String, _ current: Int?, _ range: ClosedRange<Int>, _ dialog: Dialog)
        throws(DialogAbort) -> Int?
    {
        guard dialog.hasOption(key) else { return current }
        let answer = try dialog.text("", key: key)
        if answer.lowercased() == "default" { return nil }
        guard let n = Int(answer), range.contains(n) else {
            throw .invalidArgument("Invalid \"\(key)\" value: \"\(answer)\". Value must be between \(range.lowerBound) and \(range.upperBound).")
        }
        return n
    }

    private func optionalTLS(_ current: TLSLevel?, _ dialog: Dialog) throws(DialogAbort) -> TLSLevel? {
        guard dialog.hasOption("tls") else { return current }
        let answer = try dialog.text("", key: "tls")
        if answer.lowercased() == "default" { return nil }
        guard let level = TLSLevel(keyword: answer) else {
            throw .invalidArgument("Invalid \"tls\" value: \"\(answer)\". Use no, preferred, required, preferred-verify "
                + "or required-verify.")
        }
        return level
    }

    private func list(_ controls: DestinationControls) -> String {
        func cell(_ v: Int?, _ d: Int?) -> String { v.map(String.init) ?? "(\(d.map(String.init) ?? "-"))" }
        var lines = ["Domain".padding(toLength: 28, withPad: " ", startingAt: 0) + "Concurrency  Rcpts/conn  Msgs/conn  TLS"]
        for c in [controls.default] + controls.entries {
            let d = controls.default
            lines.append((c.domain.isEmpty ? "(Default)" : c.domain).padding(toLength: 28, withPad: " ", startingAt: 0)
                + cell(c.concurrency, d.concurrency).padding(toLength: 13, withPad: " ", startingAt: 0)
                + cell(c.recipientsPerConnection, d.recipientsPerConnection).padding(toLength: 12, withPad: " ", startingAt: 0)
                + cell(c.messagesPerConnection, d.messagesPerConnection).padding(toLength: 11, withPad: " ", startingAt: 0)
                + (c.tls?.label ?? "(\(d.effectiveTLS.label))"))
        }
        lines.append("Values in parentheses come from the default.")
        return lines.joined(separator: "\n")
    }

    private func detail(_ c: DestinationControl, default d: DestinationControl) -> String {
        let e = c.domain.isEmpty ? c : d.resolved(with: c)
        return """

            Domain: \(c.domain.isEmpty ? "(Default)" : c.domain)
            Maximum concurrent connections: \(e.effectiveConcurrency)
            Maximum recipients per connection: \(e.effectiveRecipientsPerConnection)
            Maximum messages per connection: \(e.effectiveMessagesPerConnection)
            TLS: \(e.effectiveTLS.label)
            """
    }
}

extension Dialog {
    /// Whether the command line gave `--key`.
    func hasOption(_ key: String) -> Bool { optionsGiven.contains(key) }
}
