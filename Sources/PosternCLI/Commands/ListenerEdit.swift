import PosternCertificates
import PosternConfig
import PosternStore

/// `listenerconfig > EDIT` (asyncos-cli.md §1.3): the summary, then the sub-operations.
struct ListenerEditor {
    let context: CommandContext
    let index: Int

    private var dialog: Dialog { context.dialog }
    private var listener: Listener {
        get { context.configuration.listeners[index] }
        nonmutating set { context.configuration.listeners[index] = newValue }
    }

    func run() throws(DialogAbort) {
        while true {
            dialog.show(Formatting.listenerSummary(listener, in: context.configuration))
            var items = [
                MenuItem("NAME", "Change the name of the listener."),
                MenuItem("INTERFACE", "Change the interface."),
                MenuItem("CERTIFICATE", "Choose the certificate."),
                MenuItem("LIMITS", "Change the injection limits."),
                MenuItem("SETUP", "Configure general options."),
                MenuItem("HOSTACCESS", "Modify the Host Access Table."),
            ]
            if listener.type == .public { items.append(MenuItem("RCPTACCESS", "Modify the Recipient Access Table.")) }
            items.append(MenuItem("SMTPAUTH", "Configure an SMTP authentication."))
            guard let operation = try dialog.menu(items) else { return }
            switch operation {
            case "NAME": try rename()
            case "INTERFACE": try changeInterface()
            case "CERTIFICATE": try chooseCertificate()
            case "LIMITS": try limits()
            case "SETUP": try setup()
            case "SMTPAUTH": try chooseSMTPAuth()
            case "HOSTACCESS":
                var table = listener.hostAccess
                try HostAccessEditor(context: context, listener: listener).run(&table)
                listener.hostAccess = table
            default:
                var table = listener.recipientAccess ?? RecipientAccessTable(entries: [])
                try RecipientAccessEditor(context: context).run(&table)
                listener.recipientAccess = table
            }
        }
    }

    private func rename() throws(DialogAbort) {
        let taken = Set(context.configuration.listeners.map(\.name)).subtracting([listener.name])
        listener.name = try dialog.text("Please enter a new name for this listener:", default: listener.name,
                                        key: "name", required: true) { answer in
            ListenerConfigCommand.nameProblem(answer, taken: taken, what: "listener")
        }
    }

    private func changeInterface() throws(DialogAbort) {
        let interfaces = context.configuration.interfaces
        let current = interfaces.firstIndex { $0.name == listener.interface } ?? 0
        let chosen = try dialog.choose("Please choose an IP interface for this Listener.",
                                       items: interfaces.map(Formatting.interfaceLabel), default: current,
                                       key: "interface", names: interfaces.map(\.name))
        _ = try dialog.choose("Choose a protocol.", items: ["SMTP"], default: 0, key: "protocol")
        let port = try ListenerConfigCommand.askPort(context, interface: interfaces[chosen], current: listener.port,
                                                     excluding: listener.name)
        listener.interface = interfaces[chosen].name
        listener.port = port
    }

    private func chooseCertificate() throws(DialogAbort) {
        let profiles = context.configuration.certificates
        guard !profiles.isEmpty else {
            dialog.error("There are no certificate profiles; create one with certconfig.")
            return
        }
        let currentName = listener.certificate ?? FactoryDefaults.demoCertificateName
        let current = profiles.firstIndex { $0.name == currentName } ?? 0
        let chosen = try dialog.choose("Please choose the certificate.", items: profiles.map(\.name), default: current,
                                       key: "certificate")
        listener.certificate = profiles[chosen].name == FactoryDefaults.demoCertificateName ? nil : profiles[chosen].name
        try chooseSecondCertificate(first: profiles[chosen])
    }

    /// A second certificate with a key of the other type (ECDSA beside RSA): asked only when a
    /// profile of that type exists. OpenSSL serves each client the one it can verify.
    private func chooseSecondCertificate(first: CertificateProfile) throws(DialogAbort) {
        let types = CertificateFiles.keyTypes(context.configuration.certificates, home: context.home)
        guard let firstType = types[first.name] else { return }
        let others = context.configuration.certificates.filter { types[$0.name].map { $0 != firstType } ?? false }
        guard !others.isEmpty else {
            listener.secondCertificate = nil
            return
        }
        let other = firstType == .rsa ? "ECDSA" : "RSA"
        let names = ["none"] + others.map(\.name)
        let current = listener.secondCertificate.flatMap { name in others.firstIndex { $0.name == name } }.map { $0 + 1 }
        let chosen = try dialog.choose(
            "Please choose a second certificate with an \(other) key, for clients that prefer it, or none.",
            items: names, default: current ?? 0, key: "second_certificate")
        listener.secondCertificate = chosen == 0 ? nil : others[chosen - 1].name
    }

    /// SMTPAUTH: the profile that checks AUTH on this listener, or none.
    private func chooseSMTPAuth() throws(DialogAbort) {
        let profiles = context.configuration.smtpAuthSettings.profiles.map(\.name)
        guard !profiles.isEmpty || listener.smtpAuthProfile != nil else {
            dialog.error("There are no SMTP authentication profiles; create one with smtpauthconfig.")
            if dialog.mode == .batch { throw .invalidArgument("There are no SMTP authentication profiles.") }
            return
        }
        let names = ["none"] + profiles
        let current = listener.smtpAuthProfile.flatMap { profiles.firstIndex(of: $0).map { $0 + 1 } } ?? 0
        let chosen = try dialog.choose("Choose the SMTP authentication profile for this listener.",
                                       items: ["No SMTP authentication"] + profiles, default: current,
                                       key: "profile", names: names)
        listener.smtpAuthProfile = chosen == 0 ? nil : profiles[chosen - 1]
    }

    private func limits() throws(DialogAbort) {
        listener.maxConcurrency = try dialog.number("Enter the maximum number of concurrent connections.",
                                                    default: listener.maxConcurrency, range: 1...100_000,
                                                    key: "max_concurrency")
        listener.tcpQueue = try dialog.number("Enter the TCP listen queue size.", default: listener.tcpQueue,
                                              range: 1...65535, key: "tcp_queue")
    }

    private func setup() throws(DialogAbort) {
        while true {
            guard let operation = try dialog.menu([
                MenuItem("DEFAULTDOMAIN", "Configure a default domain for email addresses without a domain."),
                MenuItem("RECEIVED", "Set whether or not a Received: header is added."),
            ]) else { return }
            if operation == "DEFAULTDOMAIN" {
                let answer = try dialog.text(
                    "Enter the default domain for email addresses without a fully qualified domain name.\n"
                        + "Enter the word \"delete\" to remove the default domain.",
                    default: listener.defaultDomain, key: "domain") { answer in
                        answer.isEmpty || answer.lowercased() == "delete" || Hostname.isValid(answer)
                            ? nil : DialogError("A hostname must be like example.com.")
                    }
                listener.defaultDomain = answer.lowercased() == "delete" ? "" : answer.lowercased()
            } else {
                listener.addReceivedHeader = try dialog.yesNo(
                    "Would you like the system to add a Received: header to each message received on this listener?",
                    default: listener.addReceivedHeader, key: "received")
            }
        }
    }
}
