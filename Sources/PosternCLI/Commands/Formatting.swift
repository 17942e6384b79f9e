import PosternConfig

/// How the CLI prints configuration objects (asyncos-cli.md §1.1, §1.3).
enum Formatting {
    /// `1. InboundMail (on Loopback, 127.0.0.1) SMTP TCP Port 2525 Public` (§1.1, S1 parser format).
    static func listenerLine(_ index: Int, _ listener: Listener, in config: Configuration) -> String {
        let interface = config.interface(named: listener.interface)
        let on = interface.map { "\($0.name), \($0.address)" } ?? "\(listener.interface), ?"
        return "\(index + 1). \(listener.name) (on \(on)) \(listener.protocol.rawValue) TCP Port \(listener.port) "
            + listener.type.label
    }

    static func listenerList(_ config: Configuration) -> String {
        guard !config.listeners.isEmpty else { return "\nNo listeners configured." }
        return "\nCurrently configured listeners:\n"
            + config.listeners.enumerated().map { listenerLine($0.offset, $0.element, in: config) }
                .joined(separator: "\n")
    }

    /// `Loopback (127.0.0.1/8: postern.example.com)`, as the interface lists show it.
    static func interfaceLabel(_ interface: IPInterface) -> String {
        "\(interface.name) (\(interface.address)/\(interface.prefixLength): \(interface.hostname))"
    }

    /// The EDIT summary block (§1.3); `TLS:` is the default policy's level.
    static func listenerSummary(_ listener: Listener, in config: Configuration) -> String {
        let interface = config.interface(named: listener.interface)
        let where_ = interface.map { "\($0.name) (\($0.address)/\($0.prefixLength))" } ?? listener.interface
        let parameters = listener.hostAccess.defaultParameters
        return """

            Name: \(listener.name)
            Type: \(listener.type.label)
            Interface: \(where_) TCP Port \(listener.port)
            Protocol: \(listener.protocol.rawValue)
            Default Domain:\(listener.defaultDomain.isEmpty ? "" : " " + listener.defaultDomain)
            Max Concurrency: \(listener.maxConcurrency) (TCP Queue: \(listener.tcpQueue))
            Domain Map: Disabled
            TLS: \(parameters.tls.label)
            SMTP Authentication: \(listener.smtpAuthProfile.map { "Profile \($0)" } ?? "Disabled")
            Certificate: \(listener.certificate ?? FactoryDefaults.demoCertificateName)\(
                listener.secondCertificate.map { ", and \($0) for clients that prefer its key type" } ?? "")
            Received Header: \(listener.addReceivedHeader ? "Yes" : "No")
            Footer: None
            LDAP: Off
            """
    }

    /// The help text of the host lists (asyncos-cli.md §2.6).
    static let senderHelp = """
        Enter the senders to add to this sender group. CIDR addresses such as 10.1.1.0/24 are
        allowed. IP address ranges such as 10.1.1.10-20 are allowed. IP subnets such as 10.2.3.
        are allowed. Hostnames such as crm.example.com are allowed. Partial hostnames such as
        .example.com are allowed. Ranges of SenderBase Reputation scores such as SBRS[7.5:10.0]
        are allowed. SenderBase Network Owner IDs such as SBO:12345 are allowed. Remote blacklist
        queries such as dnslist[query.blacklist.example] are allowed. Separate multiple senders
        with commas.
        """

    /// Parses a comma-separated host list; the first bad entry is the error.
    static func senders(_ text: String) -> Result<[SenderEntry], DialogError> {
        var entries: [SenderEntry] = []
        for part in text.split(separator: ",") {
            let item = String(part).trimmingWhitespace()
            if item.isEmpty { continue }
            do throws(SenderEntryError) { entries.append(try SenderEntry(parsing: item)) } catch {
                return .failure(DialogError(error.message))
            }
        }
        return entries.isEmpty ? .failure(DialogError("Please enter a value.")) : .success(entries)
    }

    /// `1 recipient`, `2 recipients`.
    static func count(_ n: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) \(n == 1 ? singular : plural ?? singular + "s")"
    }
}
