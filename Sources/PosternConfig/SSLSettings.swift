/// A TLS protocol version as `sslconfig` names it in its method strings (`tlsv1.2/tlsv1.3`).
public enum TLSProtocolVersion: String, Codable, CaseIterable, Comparable, Sendable {
    case sslv2
    case sslv3
    case tlsv1_0 = "tlsv1"
    case tlsv1_1 = "tlsv1.1"
    case tlsv1_2 = "tlsv1.2"
    case tlsv1_3 = "tlsv1.3"

    /// The label of the method list (`SSL v3`, `TLS v1.2`).
    public var label: String {
        switch self {
        case .sslv2: return "SSL v2"
        case .sslv3: return "SSL v3"
        case .tlsv1_0: return "TLS v1.0"
        case .tlsv1_1: return "TLS v1.1"
        case .tlsv1_2: return "TLS v1.2"
        case .tlsv1_3: return "TLS v1.3"
        }
    }

    /// Why this system cannot offer the version, or nil when it can. SSL 2 and 3 were removed
    /// from OpenSSL 3 (RFC 6176, RFC 7568).
    public var unavailableReason: String? {
        switch self {
        case .sslv2: return "SSL v2 is not supported: it is insecure (RFC 6176) and this system's OpenSSL has no code for it."
        case .sslv3: return "SSL v3 is not supported: it is insecure (RFC 7568) and this system's OpenSSL has no code for it."
        case .tlsv1_0, .tlsv1_1, .tlsv1_2, .tlsv1_3: return nil
        }
    }

    private var order: Int { TLSProtocolVersion.allCases.firstIndex(of: self)! }

    public static func < (lhs: TLSProtocolVersion, rhs: TLSProtocolVersion) -> Bool { lhs.order < rhs.order }
}

/// A set of protocol versions, written `tlsv1.2/tlsv1.3` in the CLI and in batch commands.
public struct TLSMethods: Hashable, Sendable, CustomStringConvertible {
    public let versions: [TLSProtocolVersion]

    public init(_ versions: some Sequence<TLSProtocolVersion>) {
        self.versions = Array(Set(versions)).sorted()
    }

    /// Parses `tlsv1.2/tlsv1.3`; also accepts `TLSv1.2`, `tlsv1_2` and `tlsv1.0` spellings.
    public init?(text: String) {
        var found: [TLSProtocolVersion] = []
        for token in text.split(separator: "/") {
            let folded = token.lowercased().replacing("_", with: ".")
            let name = folded == "tlsv1.0" ? "tlsv1" : folded
            guard let version = TLSProtocolVersion(rawValue: name) else { return nil }
            found.append(version)
        }
        guard !found.isEmpty else { return nil }
        self.init(found)
    }

    public var description: String { versions.map(\.rawValue).joined(separator: "/") }
    public var label: String { versions.map(\.label).joined(separator: "/") }
}

extension TLSMethods: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let methods = TLSMethods(text: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not a method list such as tlsv1.2/tlsv1.3.")
        }
        self = methods
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The methods and ciphers of one TLS service (`sslconfig` GUI, INBOUND or OUTBOUND).
public struct SSLServiceSettings: Codable, Hashable, Sendable {
    public var methods: TLSMethods
    /// An OpenSSL cipher string for TLS 1.2 and below (`SSL_CTX_set_cipher_list`).
    public var ciphers: String
    /// The TLS 1.3 suites (`SSL_CTX_set_ciphersuites`); a cipher string cannot remove them.
    public var tls13Suites: String
    /// Whether a peer may resume an earlier session instead of a full handshake.
    public var resumption: SessionResumption

    public init(methods: TLSMethods, ciphers: String, tls13Suites: String,
                resumption: SessionResumption = SessionResumption()) {
        self.methods = methods
        self.ciphers = ciphers
        self.tls13Suites = tls13Suites
        self.resumption = resumption
    }

    private enum CodingKeys: String, CodingKey {
        case methods, ciphers, tls13Suites, resumption
    }

    /// Configurations committed before `resumption` existed load with its default (on).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(methods: try c.decode(TLSMethods.self, forKey: .methods),
                  ciphers: try c.decode(String.self, forKey: .ciphers),
                  tls13Suites: try c.decode(String.self, forKey: .tls13Suites),
                  resumption: try c.decodeIfPresent(SessionResumption.self, forKey: .resumption) ?? SessionResumption())
    }
}

/// TLS session resumption for one service: a server issues stateless session tickets
/// (RFC 5077, RFC 8446 §4.6.1) and keeps a session cache; a client (OUTBOUND) offers the
/// last session of a destination again, as Postfix's `smtp_tls_session_cache_database` does.
/// A session resumes only under the verification requirement it was made under.
public struct SessionResumption: Codable, Hashable, Sendable {
    public var enabled: Bool
    /// How long a session may be resumed, in seconds: the ticket lifetime a server announces,
    /// its session cache timeout, and how often the ticket key rotates (the previous key
    /// still decrypts for one more lifetime).
    public var ticketLifetime: Int

    /// Postfix's `smtpd_tls_session_cache_timeout` default.
    public static let defaultTicketLifetime = 3600
    /// A minute at least; RFC 8446 §4.6.1: servers MUST NOT announce more than 7 days.
    public static let ticketLifetimeRange = 60...604_800

    public init(enabled: Bool = true, ticketLifetime: Int = SessionResumption.defaultTicketLifetime) {
        self.enabled = enabled
        self.ticketLifetime = ticketLifetime
    }

    /// Why the settings cannot be used, or nil: the one check the CLI and the engine share.
    public var problem: String? { SessionResumption.lifetimeProblem(ticketLifetime) }

    public static func lifetimeProblem(_ seconds: Int) -> String? {
        ticketLifetimeRange.contains(seconds) ? nil
            : "The ticket lifetime must be between \(ticketLifetimeRange.lowerBound) and "
                + "\(ticketLifetimeRange.upperBound) seconds (7 days, RFC 8446)."
    }

    /// `Enabled, ticket lifetime 3600 seconds` / `Disabled`, as sslconfig prints it.
    public var label: String {
        enabled ? "Enabled, ticket lifetime \(ticketLifetime) seconds" : "Disabled"
    }
}

/// `sslconfig`: the three services.
public struct SSLConfiguration: Codable, Hashable, Sendable {
    public var gui: SSLServiceSettings
    public var inbound: SSLServiceSettings
    public var outbound: SSLServiceSettings

    public init(gui: SSLServiceSettings, inbound: SSLServiceSettings, outbound: SSLServiceSettings) {
        self.gui = gui
        self.inbound = inbound
        self.outbound = outbound
    }
}

/// A certificate profile (`certconfig`): files under the home's `certs/` directory.
public struct CertificateProfile: Codable, Hashable, Sendable {
    public var name: String
    /// The PEM certificate, relative to `certs/`.
    public var certificateFile: String
    /// The PEM private key, relative to `certs/` (mode 0600).
    public var keyFile: String
    /// Intermediate certificates in PEM, relative to `certs/`, if any.
    public var chainFile: String?

    public init(name: String, certificateFile: String, keyFile: String, chainFile: String? = nil) {
        self.name = name
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.chainFile = chainFile
    }
}

/// Which certificate authorities verify client certificates (`certconfig > CERTAUTHORITY`).
public struct CertificateAuthorities: Codable, Hashable, Sendable {
    /// The operating system's trusted authorities.
    public var useSystem: Bool
    /// A PEM bundle of custom authorities, relative to `certs/`; nil when none was imported.
    public var customFile: String?
    public var useCustom: Bool

    public init(useSystem: Bool = true, customFile: String? = nil, useCustom: Bool = false) {
        self.useSystem = useSystem
        self.customFile = customFile
        self.useCustom = useCustom
    }
}
