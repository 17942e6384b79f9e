/// SMTP authentication (`smtpauthconfig`, asyncos-cli.md "smtpauthconfig"): the profiles a
/// listener can check AUTH credentials with, and the bounds on failed attempts.
public struct SMTPAuthConfiguration: Codable, Hashable, Sendable {
    public var profiles: [SMTPAuthProfile]
    /// Failed AUTH attempts from one address before `421` and the connection closes.
    public var maxFailures: Int
    /// The delay before the first `535`, in milliseconds; it doubles with each failure.
    public var failureDelayMilliseconds: Int
    /// The largest delay before a `535`, in milliseconds.
    public var maxFailureDelayMilliseconds: Int
    /// Seconds after the last failure at which an address's failures are forgotten.
    public var failureWindowSeconds: Int

    public init(profiles: [SMTPAuthProfile] = [], maxFailures: Int = 5, failureDelayMilliseconds: Int = 1000,
                maxFailureDelayMilliseconds: Int = 8000, failureWindowSeconds: Int = 900) {
        self.profiles = profiles
        self.maxFailures = maxFailures
        self.failureDelayMilliseconds = failureDelayMilliseconds
        self.maxFailureDelayMilliseconds = maxFailureDelayMilliseconds
        self.failureWindowSeconds = failureWindowSeconds
    }

    public func profile(named name: String) -> SMTPAuthProfile? {
        profiles.first { $0.name == name }
    }
}

/// One SMTP authentication profile: where credentials are checked.
public struct SMTPAuthProfile: Codable, Hashable, Sendable {
    public var name: String
    public var method: SMTPAuthMethod

    public init(name: String, method: SMTPAuthMethod) {
        self.name = name
        self.method = method
    }
}

/// How a profile checks credentials.
public enum SMTPAuthMethod: Hashable, Sendable {
    /// Against an LDAP directory.
    case ldap(LDAPAuthSettings)
    /// By AUTH to an upstream SMTP server (AsyncOS's FORWARD profile).
    case forward(ForwardAuthSettings)

    /// `LDAP` or `FORWARD`, as PRINT shows it.
    public var label: String {
        switch self {
        case .ldap: return "LDAP"
        case .forward: return "FORWARD"
        }
    }
}

extension SMTPAuthMethod: Codable {
    private enum CodingKeys: String, CodingKey {
        case ldap
        case forward
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let ldap = try container.decodeIfPresent(LDAPAuthSettings.self, forKey: .ldap) {
            self = .ldap(ldap)
        } else if let forward = try container.decodeIfPresent(ForwardAuthSettings.self, forKey: .forward) {
            self = .forward(forward)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "An SMTP AUTH profile needs \"ldap\" or \"forward\"."))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .ldap(let settings): try container.encode(settings, forKey: .ldap)
        case .forward(let settings): try container.encode(settings, forKey: .forward)
        }
    }
}

/// An LDAP directory that holds the users.
public struct LDAPAuthSettings: Codable, Hashable, Sendable {
    /// `ldap://host:port` or `ldaps://host:port`.
    public var url: String
    /// Upgrade an `ldap://` connection with the StartTLS extended operation.
    public var startTLS: Bool
    /// The DN the gateway binds as to search; nil binds anonymously.
    public var bindDN: String?
    /// The file under `certs/` that holds the bind password (mode 0640, like private keys);
    /// the configuration never holds the password itself.
    public var bindPasswordFile: String?
    /// Where users are searched (subtree).
    public var baseDN: String
    /// The filter that finds a user; `{u}` is replaced by the escaped user name (RFC 4515).
    public var query: String
    /// Check the password by binding as the user found (true), or by comparing it with the
    /// entry's `userPassword` attribute (false).
    public var bindAsUser: Bool
    /// Seconds for connecting and for each operation.
    public var timeoutSeconds: Int
    /// Connections kept open to the directory; more authentications at once wait.
    public var maxConnections: Int
    /// Seconds a successful authentication is remembered; 0 asks the directory every time.
    public var cacheSeconds: Int

    public init(url: String, startTLS: Bool = false, bindDN: String? = nil, bindPasswordFile: String? = nil,
                baseDN: String, query: String = "(uid={u})", bindAsUser: Bool = true, timeoutSeconds: Int = 10,
                maxConnections: Int = 4, cacheSeconds: Int = 60) {
        self.url = url
        self.startTLS = startTLS
        self.bindDN = bindDN
        self.bindPasswordFile = bindPasswordFile
        self.baseDN = baseDN
        self.query = query
        self.bindAsUser = bindAsUser
        self.timeoutSeconds = timeoutSeconds
        self.maxConnections = maxConnections
        self.cacheSeconds = cacheSeconds
    }

    /// The query with the user name put in, escaped so that it cannot change the filter.
    public func filter(forUser user: String) -> String {
        query.replacing("{u}", with: LDAPFilter.escape(user))
    }
}

/// An upstream SMTP server that checks the credentials by AUTH.
public struct ForwardAuthSettings: Codable, Hashable, Sendable {
    public var host: String
    public var port: Int
    /// STARTTLS to the server is required before the credentials are sent.
    public var requireTLS: Bool
    public var timeoutSeconds: Int

    public init(host: String, port: Int = 25, requireTLS: Bool = true, timeoutSeconds: Int = 10) {
        self.host = host
        self.port = port
        self.requireTLS = requireTLS
        self.timeoutSeconds = timeoutSeconds
    }
}

/// LDAP search filter text (RFC 4515 §3).
public enum LDAPFilter {
    /// A value for an assertion: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`.
    public static func escape(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*": out += "\\2a"
            case "(": out += "\\28"
            case ")": out += "\\29"
            case "\\": out += "\\5c"
            case "\u{0}": out += "\\00"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
