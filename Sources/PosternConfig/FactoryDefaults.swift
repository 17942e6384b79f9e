/// The factory configuration (asyncos-cli.md §2.4): TLS off everywhere, the classic
/// predefined sender groups and policies, one public listener on loopback port 2525.
public enum FactoryDefaults {
    public static let hostname = "postern.example.com"
    public static let demoCertificateName = "Demo"
    public static let loopbackInterfaceName = "Loopback"
    public static let inboundListenerName = "InboundMail"
    public static let inboundPort = 2525
    /// The web interface's HTTPS port on the factory Loopback interface (AsyncOS's own default).
    public static let guiHTTPSPort = 8443

    /// The 2016 technote's cipher list (asyncos-cli.md §4.3); unknown names such as SSLv2
    /// and EXPORT are skipped by OpenSSL 3, the rest select AES/ChaCha suites.
    public static let cipherString = "MEDIUM:HIGH:-SSLv2:-aNULL:!RC4:@STRENGTH:-EXPORT"
    /// OpenSSL's own default TLS 1.3 suites.
    public static let tls13Suites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256"

    public static var configuration: Configuration {
        let loopback = IPInterface(
            name: loopbackInterfaceName, address: .v4(0x7f00_0001), prefixLength: 8, hostname: hostname,
            httpsPort: guiHTTPSPort)
        return Configuration(
            hostname: hostname,
            interfaces: [loopback],
            listeners: [publicListener(name: inboundListenerName, interface: loopback.name, port: inboundPort,
                                       acceptDomains: ["example.com"])],
            listenerSettings: ListenerSettings(),
            ssl: SSLConfiguration(gui: sslService, inbound: sslService, outbound: sslService),
            certificates: [
                CertificateProfile(name: demoCertificateName, certificateFile: "demo.crt", keyFile: "demo.key"),
            ],
            certificateAuthorities: CertificateAuthorities())
    }

    public static var sslService: SSLServiceSettings {
        SSLServiceSettings(methods: TLSMethods([.tlsv1_2, .tlsv1_3]), ciphers: cipherString, tls13Suites: tls13Suites)
    }

    /// Default Policy Parameters of a new listener: 10M, 10 connections per IP, 10 messages
    /// per connection, 50 recipients per message, TLS off (asyncos-cli.md §2.5).
    public static var defaultParameters: PolicyParameters {
        PolicyParameters(
            maxMessageSize: 10 * 1024 * 1024, maxConcurrency: 10, maxMessagesPerSession: 10,
            maxRecipientsPerMessage: 50, maxRecipientsPerHour: -1, rateLimitResponse: SMTPResponse(code: 452),
            bannerHostname: "", acceptResponse: SMTPResponse(code: 220), rejectResponse: SMTPResponse(code: 554),
            useSenderBase: true, spamCheck: true, virusCheck: true, tls: .no, smtpAuth: .no, requireTLSForAuth: false)
    }

    /// The public-listener HAT: WHITELIST→$TRUSTED, BLACKLIST→$BLOCKED, SUSPECTLIST→$THROTTLED,
    /// UNKNOWNLIST→$ACCEPTED, ALL→$ACCEPTED; policy values from the CLI Reference sample (§2.7).
    public static var publicHostAccess: HostAccessTable {
        var throttled = PolicyOverrides()
        throttled.spamCheck = true
        throttled.maxMessagesPerSession = 10
        throttled.maxConcurrency = 10
        throttled.maxRecipientsPerMessage = 25
        throttled.maxRecipientsPerHour = 1
        throttled.virusCheck = true
        throttled.maxMessageSize = 1_048_576
        throttled.useSenderBase = true
        throttled.tls = .no
        var trusted = PolicyOverrides()
        trusted.spamCheck = false
        trusted.maxMessagesPerSession = 5000
        trusted.maxConcurrency = 600
        trusted.maxRecipientsPerMessage = 5000
        trusted.maxRecipientsPerHour = -1
        trusted.virusCheck = true
        trusted.maxMessageSize = 104_857_600
        trusted.useSenderBase = false
        trusted.tls = .no
        return HostAccessTable(
            defaultParameters: defaultParameters,
            policies: [
                MailFlowPolicy(name: "ACCEPTED", behavior: .accept),
                MailFlowPolicy(name: "THROTTLED", behavior: .accept, overrides: throttled),
                MailFlowPolicy(name: "TRUSTED", behavior: .accept, overrides: trusted),
                MailFlowPolicy(name: "BLOCKED", behavior: .reject),
            ],
            senderGroups: [
                SenderGroup(name: "WHITELIST", entries: [], action: .policy("TRUSTED"),
                            comment: "My trusted senders have no anti-spam scanning or rate limiting"),
                SenderGroup(name: "BLACKLIST", entries: [entry("SBRS[-10.0:-3.0]")], action: .policy("BLOCKED"),
                            comment: "Spammers are rejected"),
                SenderGroup(name: "SUSPECTLIST", entries: [entry("SBRS[-3.0:-1.0]")], action: .policy("THROTTLED"),
                            comment: "Suspicious senders are throttled"),
                SenderGroup(name: "UNKNOWNLIST", entries: [entry("SBRS[-1.0:10.0]"), entry("SBRS[none]")],
                            action: .policy("ACCEPTED"),
                            comment: "Reviewed but undecided, continue normal acceptance"),
            ],
            all: .policy("ACCEPTED"))
    }

    /// The private-listener HAT: RELAYLIST→$RELAYED, ALL→$BLOCKED.
    public static func privateHostAccess(relayFor hosts: [SenderEntry]) -> HostAccessTable {
        HostAccessTable(
            defaultParameters: defaultParameters,
            policies: [
                MailFlowPolicy(name: "RELAYED", behavior: .relay),
                MailFlowPolicy(name: "BLOCKED", behavior: .reject),
            ],
            senderGroups: [
                SenderGroup(name: "RELAYLIST", entries: hosts, action: .policy("RELAYED"),
                            comment: "Relayed hosts are allowed to send mail through the appliance"),
            ],
            all: .policy("BLOCKED"))
    }

    public static func publicListener(name: String, interface: String, port: Int, acceptDomains: [String]) -> Listener {
        let entries = acceptDomains.compactMap { try? RecipientPattern(parsing: $0) }
            .map { RecipientAccessEntry(pattern: $0, action: .accept) }
        return Listener(
            name: name, type: .public, interface: interface, port: port, hostAccess: publicHostAccess,
            recipientAccess: RecipientAccessTable(entries: entries, all: .reject))
    }

    public static func privateListener(name: String, interface: String, port: Int, relayFor hosts: [SenderEntry])
        -> Listener
    {
        Listener(
            name: name, type: .private, interface: interface, port: port,
            hostAccess: privateHostAccess(relayFor: hosts), recipientAccess: nil)
    }

    private static func entry(_ text: String) -> SenderEntry {
        // The factory texts are constants of this file; a failure is a programming error.
        do { return try SenderEntry(parsing: text) } catch { fatalError("factory sender \(text): \(error)") }
    }
}
