/// The whole appliance configuration: what `commit` writes and the engine applies.
/// Typed values throughout; `validate()` lists every problem; `CanonicalJSON` writes it.
public struct Configuration: Codable, Hashable, Sendable {
    /// The version of this file format; a newer one is refused, never half-read.
    public static let currentSchema = 1

    public var schema: Int
    /// The appliance's fully-qualified hostname: the CLI prompt, the default SMTP banner.
    public var hostname: String
    public var interfaces: [IPInterface]
    public var listeners: [Listener]
    public var listenerSettings: ListenerSettings
    public var ssl: SSLConfiguration
    public var certificates: [CertificateProfile]
    public var certificateAuthorities: CertificateAuthorities
    /// How many committed generations `config/history` keeps; 0 keeps them all
    /// (`rollbackconfig > SETUP`).
    public var historyRetention: Int
    /// smtproutes, destconfig, bounceconfig.
    public var delivery: DeliveryConfiguration
    /// smtpauthconfig; nil until a profile is made (and in files written before SMTP AUTH).
    public var smtpAuth: SMTPAuthConfiguration?
    /// addresslistconfig; nil when there are none (and in files written before them).
    public var addressLists: [AddressList]?
    /// rollbackconfig SETUP: nil or true offers commits for rollback; false turns rollback off.
    public var rollbackEnabled: Bool?
    /// adminaccessconfig; nil is the factory settings (and in files written before it existed).
    public var adminAccess: AdminAccessSettings?
    /// userconfig: the accounts, staged and committed like every other setting. nil in files
    /// written before accounts were part of the configuration (the store then reads the old
    /// `config/users.json`); `accounts` is what to use.
    public var users: [UserAccount]?

    public init(
        hostname: String, interfaces: [IPInterface], listeners: [Listener], listenerSettings: ListenerSettings,
        ssl: SSLConfiguration, certificates: [CertificateProfile], certificateAuthorities: CertificateAuthorities
    ) {
        self.schema = Configuration.currentSchema
        self.hostname = hostname
        self.interfaces = interfaces
        self.listeners = listeners
        self.listenerSettings = listenerSettings
        self.ssl = ssl
        self.certificates = certificates
        self.certificateAuthorities = certificateAuthorities
        self.historyRetention = 0
        self.delivery = DeliveryConfiguration()
    }

    public func interface(named name: String) -> IPInterface? {
        interfaces.first { $0.name == name }
    }

    public func listener(named name: String) -> Listener? {
        listeners.first { $0.name == name }
    }

    public func certificate(named name: String) -> CertificateProfile? {
        certificates.first { $0.name == name }
    }

    /// The SMTP AUTH profiles and bounds, with the defaults when none were ever made.
    public var smtpAuthSettings: SMTPAuthConfiguration {
        get { smtpAuth ?? SMTPAuthConfiguration() }
        set { smtpAuth = newValue }
    }

    /// The accounts, with the factory `admin` alone (no password) when none were ever made.
    public var accounts: [UserAccount] {
        get { users ?? [UserAccount.factoryAccount] }
        set { users = newValue }
    }

    /// The index of a listener by name, for editing in place.
    public func listenerIndex(named name: String) -> Int? {
        listeners.firstIndex { $0.name == name }
    }
}
