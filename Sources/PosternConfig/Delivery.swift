/// Outbound delivery: where mail for a domain goes (`smtproutes`), how it is delivered
/// (`destconfig`, asyncos-cli.md §5.3), and how long it may wait (`bounceconfig`).
public struct DeliveryConfiguration: Codable, Hashable, Sendable {
    public var routes: [SMTPRoute]
    public var destinations: DestinationControls
    public var bounce: BounceSettings
    /// `suspenddel`: mail is accepted and queued but not delivered until `resumedel`.
    public var suspended: Bool

    public init(routes: [SMTPRoute] = [], destinations: DestinationControls = DestinationControls(),
                bounce: BounceSettings = BounceSettings(), suspended: Bool = false) {
        self.routes = routes
        self.destinations = destinations
        self.bounce = bounce
        self.suspended = suspended
    }

    /// The route for a domain: the exact domain first, then the longest `.partial` match,
    /// then `ALL`; nil means DNS (MX, then the address records).
    public func route(for domain: String) -> SMTPRoute? {
        let domain = domain.lowercased()
        if let exact = routes.first(where: { $0.domain == domain }) { return exact }
        var rest = Substring(domain)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if let partial = routes.first(where: { $0.domain == "." + rest }) { return partial }
        }
        return routes.first { $0.domain == "ALL" }
    }

    /// The destination controls for a domain: its own entry (exact, then `.partial`), else the default.
    public func controls(for domain: String) -> DestinationControl {
        let domain = domain.lowercased()
        var candidates = [domain]
        var rest = Substring(domain)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            candidates.append("." + rest)
        }
        for candidate in candidates {
            if let entry = destinations.entries.first(where: { $0.domain == candidate }) {
                return destinations.default.resolved(with: entry)
            }
        }
        return destinations.default
    }
}

/// A permanent route (`smtproutes`): a domain (`example.com`, `.example.com` for its
/// subdomains, or `ALL`) and where its mail goes.
public struct SMTPRoute: Codable, Hashable, Sendable {
    public var domain: String
    public var destinations: [RouteDestination]

    public init(domain: String, destinations: [RouteDestination]) {
        self.domain = domain
        self.destinations = destinations
    }
}

/// One destination of a route: `host[:port][/pri=n]`, `USEDNS`, or `/dev/null`.
public enum RouteDestination: Hashable, Sendable, CustomStringConvertible {
    case host(name: String, port: Int, priority: Int)
    case useDNS
    case discard

    public var description: String {
        switch self {
        case .host(let name, let port, let priority):
            return name + (port == 25 ? "" : ":\(port)") + (priority == 0 ? "" : "/pri=\(priority)")
        case .useDNS: return "USEDNS"
        case .discard: return "/dev/null"
        }
    }

    /// Parses one destination; the error is a sentence.
    public static func parse(_ text: String) -> Result<RouteDestination, SenderEntryError> {
        let t = text.trimmingWhitespace()
        if t.uppercased() == "USEDNS" { return .success(.useDNS) }
        if t == "/dev/null" { return .success(.discard) }
        var hostPart = Substring(t)
        var priority = 0
        if let slash = t.firstIndex(of: "/") {
            let option = t[t.index(after: slash)...].lowercased()
            guard option.hasPrefix("pri="), let p = Int(option.dropFirst(4)), (0...65535).contains(p) else {
                return .failure(SenderEntryError("A priority is written host/pri=10."))
            }
            priority = p
            hostPart = t[..<slash]
        }
        var host = String(hostPart)
        var port = 25
        if host.hasPrefix("[") , let close = host.firstIndex(of: "]") {
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    return .failure(SenderEntryError("The port must be between 1 and 65535."))
                }
                port = p
            }
            host = String(host[host.index(after: host.startIndex)..<close])
            guard IPAddress(host) != nil else { return .failure(SenderEntryError("\"\(host)\" is not an IP address.")) }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                return .failure(SenderEntryError("The port must be between 1 and 65535."))
            }
            port = p
            host = String(host[..<colon])
        }
        guard IPAddress(host) != nil || Hostname.isValidDomain(host) else {
            return .failure(SenderEntryError("\"\(host)\" is neither an IP address nor a valid host name."))
        }
        return .success(.host(name: host.lowercased(), port: port, priority: priority))
    }
}

extension RouteDestination: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch RouteDestination.parse(text) {
        case .success(let d): self = d
        case .failure(let e): throw DecodingError.dataCorruptedError(in: container, debugDescription: e.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// `destconfig`: the default controls and per-domain entries, and the global SETUP.
public struct DestinationControls: Codable, Hashable, Sendable {
    public var `default`: DestinationControl
    public var entries: [DestinationControl]
    /// SETUP: the certificate profile presented when a receiver asks for one; nil is the demo certificate.
    public var certificate: String?
    /// SETUP: log a Warning alert when TLS was required and could not be negotiated.
    public var alertOnRequiredTLSFailure: Bool

    public init(default: DestinationControl = DestinationControl.factoryDefault, entries: [DestinationControl] = [],
                certificate: String? = nil, alertOnRequiredTLSFailure: Bool = true) {
        self.default = `default`
        self.entries = entries
        self.certificate = certificate
        self.alertOnRequiredTLSFailure = alertOnRequiredTLSFailure
    }
}

/// One destination's controls. In an entry, nil takes the default's value.
public struct DestinationControl: Codable, Hashable, Sendable {
    /// `example.com`, `.example.com`, or empty for the default.
    public var domain: String
    /// Concurrent connections to the domain.
    public var concurrency: Int?
    /// Recipients delivered over one connection.
    public var recipientsPerConnection: Int?
    /// Messages delivered over one connection.
    public var messagesPerConnection: Int?
    /// The TLS level (asyncos-cli.md §3.2).
    public var tls: TLSLevel?

    public init(domain: String, concurrency: Int? = nil, recipientsPerConnection: Int? = nil,
                messagesPerConnection: Int? = nil, tls: TLSLevel? = nil) {
        self.domain = domain
        self.concurrency = concurrency
        self.recipientsPerConnection = recipientsPerConnection
        self.messagesPerConnection = messagesPerConnection
        self.tls = tls
    }

    /// The factory default: 500 connections, 50 recipients and 50 messages per connection, TLS No.
    public static let factoryDefault = DestinationControl(domain: "", concurrency: 500, recipientsPerConnection: 50,
                                                          messagesPerConnection: 50, tls: .no)

    /// This default with an entry's own values applied.
    public func resolved(with entry: DestinationControl) -> DestinationControl {
        DestinationControl(domain: entry.domain, concurrency: entry.concurrency ?? concurrency,
                           recipientsPerConnection: entry.recipientsPerConnection ?? recipientsPerConnection,
                           messagesPerConnection: entry.messagesPerConnection ?? messagesPerConnection,
                           tls: entry.tls ?? tls)
    }

    public var effectiveConcurrency: Int { concurrency ?? 500 }
    public var effectiveRecipientsPerConnection: Int { recipientsPerConnection ?? 50 }
    public var effectiveMessagesPerConnection: Int { messagesPerConnection ?? 50 }
    public var effectiveTLS: TLSLevel { tls ?? .no }
}

/// The bounce profile (`bounceconfig`): how long a message may stay queued and how retries space out.
public struct BounceSettings: Codable, Hashable, Sendable {
    /// Seconds a message may stay in the queue before what is left of it bounces (AsyncOS: 259200).
    public var maxQueueLifetime: Int
    /// Seconds before the first retry; each retry waits twice as long as the last, up to `maxRetryInterval`.
    public var initialRetryInterval: Int
    public var maxRetryInterval: Int
    /// Send delivery status notifications for failed recipients (never to the null sender).
    public var sendBounces: Bool

    public init(maxQueueLifetime: Int = 259_200, initialRetryInterval: Int = 60, maxRetryInterval: Int = 3600,
                sendBounces: Bool = true) {
        self.maxQueueLifetime = maxQueueLifetime
        self.initialRetryInterval = initialRetryInterval
        self.maxRetryInterval = maxRetryInterval
        self.sendBounces = sendBounces
    }

    /// The wait before retry number `attempt` (1 = after the first failure).
    public func retryDelay(afterAttempt attempt: Int) -> Int {
        let doubled = Double(initialRetryInterval) * pow2(max(0, attempt - 1))
        return Int(min(Double(maxRetryInterval), doubled))
    }

    private func pow2(_ n: Int) -> Double { n >= 62 ? Double.greatestFiniteMagnitude : Double(1 << n) }
}
