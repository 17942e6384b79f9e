/// The complete parameters of a mail flow policy: a listener's Default Policy Parameters
/// (`hostaccess > DEFAULT`, asyncos-cli.md §2.5). Named policies override some of them
/// with `PolicyOverrides`; `resolved(with:)` gives what a connection runs under.
public struct PolicyParameters: Codable, Hashable, Sendable {
    /// Largest message accepted, in bytes (`SIZE`, RFC 1870; AsyncOS default 10M).
    public var maxMessageSize: Int
    /// Concurrent connections allowed from a single IP address.
    public var maxConcurrency: Int
    /// Messages allowed in one SMTP session.
    public var maxMessagesPerSession: Int
    /// Recipients allowed in one message.
    public var maxRecipientsPerMessage: Int
    /// Recipients per hour from one remote host; -1 disables rate limiting.
    public var maxRecipientsPerHour: Int
    /// The reply when the hourly recipient limit is exceeded (452 is the standard code).
    public var rateLimitResponse: SMTPResponse
    /// The hostname in the SMTP banner; empty means the listener interface's hostname.
    public var bannerHostname: String
    /// The banner for accepted connections (220 is the standard code).
    public var acceptResponse: SMTPResponse
    /// The banner for rejected connections (554 is the standard code).
    public var rejectResponse: SMTPResponse
    public var useSenderBase: Bool
    public var spamCheck: Bool
    public var virusCheck: Bool
    /// `Do you want to allow encrypted TLS connections?`
    public var tls: TLSLevel
    /// `Do you want to allow SMTP authentication?`
    public var smtpAuth: AuthLevel
    /// `Require TLS to offer SMTP authentication?` (asked only when TLS and AUTH are both on).
    public var requireTLSForAuth: Bool
    /// "TLS is Mandatory for Address List": under TLS Preferred, a `MAIL FROM` on this
    /// address list over plaintext is refused (asyncos-cli.md §3.1). Nil: none.
    public var tlsAddressList: String?

    public init(
        maxMessageSize: Int, maxConcurrency: Int, maxMessagesPerSession: Int, maxRecipientsPerMessage: Int,
        maxRecipientsPerHour: Int, rateLimitResponse: SMTPResponse, bannerHostname: String,
        acceptResponse: SMTPResponse, rejectResponse: SMTPResponse, useSenderBase: Bool, spamCheck: Bool,
        virusCheck: Bool, tls: TLSLevel, smtpAuth: AuthLevel, requireTLSForAuth: Bool, tlsAddressList: String? = nil
    ) {
        self.maxMessageSize = maxMessageSize
        self.maxConcurrency = maxConcurrency
        self.maxMessagesPerSession = maxMessagesPerSession
        self.maxRecipientsPerMessage = maxRecipientsPerMessage
        self.maxRecipientsPerHour = maxRecipientsPerHour
        self.rateLimitResponse = rateLimitResponse
        self.bannerHostname = bannerHostname
        self.acceptResponse = acceptResponse
        self.rejectResponse = rejectResponse
        self.useSenderBase = useSenderBase
        self.spamCheck = spamCheck
        self.virusCheck = virusCheck
        self.tls = tls
        self.smtpAuth = smtpAuth
        self.requireTLSForAuth = requireTLSForAuth
        self.tlsAddressList = tlsAddressList
    }

    /// These parameters with a policy's overrides applied.
    public func resolved(with overrides: PolicyOverrides) -> PolicyParameters {
        var p = self
        if let v = overrides.maxMessageSize { p.maxMessageSize = v }
        if let v = overrides.maxConcurrency { p.maxConcurrency = v }
        if let v = overrides.maxMessagesPerSession { p.maxMessagesPerSession = v }
        if let v = overrides.maxRecipientsPerMessage { p.maxRecipientsPerMessage = v }
        if let v = overrides.maxRecipientsPerHour { p.maxRecipientsPerHour = v }
        if let v = overrides.rateLimitResponse { p.rateLimitResponse = v }
        if let v = overrides.bannerHostname { p.bannerHostname = v }
        if let v = overrides.acceptResponse { p.acceptResponse = v }
        if let v = overrides.rejectResponse { p.rejectResponse = v }
        if let v = overrides.useSenderBase { p.useSenderBase = v }
        if let v = overrides.spamCheck { p.spamCheck = v }
        if let v = overrides.virusCheck { p.virusCheck = v }
        if let v = overrides.tls { p.tls = v }
        if let v = overrides.smtpAuth { p.smtpAuth = v }
        if let v = overrides.requireTLSForAuth { p.requireTLSForAuth = v }
        if let v = overrides.tlsAddressList { p.tlsAddressList = v.isEmpty ? nil : v }
        return p
    }
}

/// A named policy's departures from the Default Policy Parameters; `nil` inherits
/// ("Print shows only the overridden keys", asyncos-cli.md §2.3).
public struct PolicyOverrides: Codable, Hashable, Sendable {
    public var maxMessageSize: Int?
    public var maxConcurrency: Int?
    public var maxMessagesPerSession: Int?
    public var maxRecipientsPerMessage: Int?
    public var maxRecipientsPerHour: Int?
    public var rateLimitResponse: SMTPResponse?
    public var bannerHostname: String?
    public var acceptResponse: SMTPResponse?
    public var rejectResponse: SMTPResponse?
    public var useSenderBase: Bool?
    public var spamCheck: Bool?
    public var virusCheck: Bool?
    public var tls: TLSLevel?
    public var smtpAuth: AuthLevel?
    public var requireTLSForAuth: Bool?
    /// The address list TLS is mandatory for; "" is explicitly none (nil inherits).
    public var tlsAddressList: String?

    public init() {}

    public var isEmpty: Bool { self == PolicyOverrides() }
}
