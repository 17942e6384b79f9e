/// An SMTP listener (asyncos-cli.md §1): where mail comes in and under which tables.
public struct Listener: Codable, Hashable, Sendable {
    public var name: String
    public var type: ListenerType
    /// The name of the `IPInterface` it binds to.
    public var interface: String
    public var `protocol`: ListenerProtocol
    public var port: Int
    /// Added to addresses without a domain (SETUP > DEFAULTDOMAIN); empty when unset.
    public var defaultDomain: String
    /// SETUP > RECEIVED: add a `Received:` header to accepted messages.
    public var addReceivedHeader: Bool
    /// LIMITS: concurrent connections to this listener.
    public var maxConcurrency: Int
    /// LIMITS: the TCP listen backlog.
    public var tcpQueue: Int
    /// CERTIFICATE: the certificate profile used for STARTTLS; nil uses the demo certificate.
    public var certificate: String?
    /// CERTIFICATE: a second profile whose key is of the other type (ECDSA beside RSA, or RSA
    /// beside ECDSA); OpenSSL serves each client the one its signature algorithms allow.
    public var secondCertificate: String?
    /// SMTPAUTH: the smtpauthconfig profile that checks AUTH credentials; nil offers no AUTH.
    public var smtpAuthProfile: String?
    public var hostAccess: HostAccessTable
    /// Public listeners decide recipients with a RAT; private ones relay for their senders.
    public var recipientAccess: RecipientAccessTable?

    public init(
        name: String, type: ListenerType, interface: String, protocol: ListenerProtocol = .smtp, port: Int,
        defaultDomain: String = "", addReceivedHeader: Bool = true, maxConcurrency: Int = 1000, tcpQueue: Int = 50,
        certificate: String? = nil, hostAccess: HostAccessTable, recipientAccess: RecipientAccessTable?
    ) {
        self.name = name
        self.type = type
        self.interface = interface
        self.protocol = `protocol`
        self.port = port
        self.defaultDomain = defaultDomain
        self.addReceivedHeader = addReceivedHeader
        self.maxConcurrency = maxConcurrency
        self.tcpQueue = tcpQueue
        self.certificate = certificate
        self.hostAccess = hostAccess
        self.recipientAccess = recipientAccess
    }
}

public enum ListenerType: String, Codable, CaseIterable, Sendable {
    case `private`
    case `public`
    case blackhole

    /// `Public`, `Private`, `Blackhole` as the listener list prints them.
    public var label: String {
        switch self {
        case .private: return "Private"
        case .public: return "Public"
        case .blackhole: return "Blackhole"
        }
    }
}

public enum ListenerProtocol: String, Codable, CaseIterable, Sendable {
    case smtp = "SMTP"
    case qmqp = "QMQP"
}

/// Global listener settings (`listenerconfig > SETUP`, asyncos-cli.md §1.4).
public struct ListenerSettings: Codable, Hashable, Sendable {
    /// Concurrent inbound connections over all listeners.
    public var maxConnections: Int
    /// Concurrent inbound TLS connections over all listeners.
    public var maxTLSConnections: Int
    /// Header lines allowed in a message; 0 is no limit.
    public var maxHeaderLines: Int
    /// Seconds without a successful injection before
    /// `421 Timed out waiting for successful message injection, disconnecting.`
    public var idleTimeout: Int
    /// Seconds a connection may last in all before `421 Exceeded allowable connection time, disconnecting.`
    public var maxConnectionTime: Int
    /// Seconds the reverse-DNS check of a connecting host (PTR, then the forward lookup) may
    /// take before it counts as a temporary failure; 0 skips it and answers that at once.
    /// AsyncOS's "Reverse DNS Lookup Timeout", default 20.
    public var reverseDNSTimeout: Int

    public init(
        maxConnections: Int = 1000, maxTLSConnections: Int = 1000, maxHeaderLines: Int = 1000,
        idleTimeout: Int = 300, maxConnectionTime: Int = 900, reverseDNSTimeout: Int = 20
    ) {
        self.maxConnections = maxConnections
        self.maxTLSConnections = maxTLSConnections
        self.maxHeaderLines = maxHeaderLines
        self.idleTimeout = idleTimeout
        self.maxConnectionTime = maxConnectionTime
        self.reverseDNSTimeout = reverseDNSTimeout
    }

    private enum CodingKeys: String, CodingKey {
        case maxConnections, maxTLSConnections, maxHeaderLines, idleTimeout, maxConnectionTime, reverseDNSTimeout
    }

    /// Configurations committed before `reverseDNSTimeout` existed load with its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            maxConnections: try c.decode(Int.self, forKey: .maxConnections),
            maxTLSConnections: try c.decode(Int.self, forKey: .maxTLSConnections),
            maxHeaderLines: try c.decode(Int.self, forKey: .maxHeaderLines),
            idleTimeout: try c.decode(Int.self, forKey: .idleTimeout),
            maxConnectionTime: try c.decode(Int.self, forKey: .maxConnectionTime),
            reverseDNSTimeout: try c.decodeIfPresent(Int.self, forKey: .reverseDNSTimeout) ?? 20)
    }
}
