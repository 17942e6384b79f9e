import PosternConfig
import PosternPolicy
import PosternSpool

extension SMTPSession {
    /// What the handler must do.
    public enum Action: Sendable, Equatable {
        case reply(SMTPReply)
        case log(MailLogEvent)
        /// Switch the framer to message data.
        case beginData
        /// Drop buffered plaintext and start TLS, asking for a client certificate as said.
        case startTLS(ClientCertificatePolicy)
        /// Make the message durable, then call `stored(_:)`.
        case store(Envelope)
        /// Check the credentials with the listener's profile, then call `authCompleted(_:)`.
        case authenticate(SMTPCredentials)
        /// Wait this long, then call `authPenaltyServed()`.
        case pause(milliseconds: Int)
        case close
    }

    /// Whether the TLS handshake asks for a client certificate (asyncos-cli.md §3.1).
    public enum ClientCertificatePolicy: Sendable, Equatable {
        case notRequested
        /// Preferred - Verify: none is fine, a bad one is refused.
        case verifyIfPresented
        /// Required - Verify.
        case required
    }

    /// The negotiated TLS session, as the handler reports it.
    public struct TLSInfo: Sendable, Equatable {
        public var protocolVersion: String
        public var cipher: String
        public var clientCertificateSubject: String?
        public var clientCertificateVerified: Bool

        public init(protocolVersion: String, cipher: String, clientCertificateSubject: String? = nil,
                    clientCertificateVerified: Bool = false) {
            self.protocolVersion = protocolVersion
            self.cipher = cipher
            self.clientCertificateSubject = clientCertificateSubject
            self.clientCertificateVerified = clientCertificateVerified
        }
    }

    /// Everything about the connection the session decides with.
    public struct Context: Sendable {
        public var icid: Int
        /// The hostname in the banner and replies.
        public var hostname: String
        public var listenerName: String
        public var listenerType: ListenerType
        public var peer: PeerFacts
        public var match: HATMatch
        public var recipientAccess: CompiledRecipientAccess?
        public var defaultDomain: String
        /// Whether the listener has a TLS context at all.
        public var tlsAvailable: Bool
        /// Header lines allowed in a message; 0 is no limit.
        public var maxHeaderLines: Int
        /// AsyncOS disconnects after this many bad commands (S6).
        public var badCommandLimit: Int
        /// Recipients per hour per host, shared by every session of the engine; nil
        /// leaves the policy's `max_rcpts_per_hour` unenforced (tests of other things).
        public var recipientLimiter: RecipientRateLimiter?
        /// Takes one of the engine's concurrent TLS connections (`listenerconfig setup`), or
        /// says there is none free; nil is no limit.
        public var acquireTLSSlot: (@Sendable () -> Bool)?
        /// The listener's SMTP AUTH profile and the shared failure counts; nil offers no AUTH.
        public var auth: AuthContext?
        /// Whether the engine's budget of message bytes in memory has room for another
        /// message; nil is no budget.
        public var messageBudgetAvailable: (@Sendable () -> Bool)?
        /// The policy's "TLS is Mandatory for Address List" (TLS Preferred only): a sender on
        /// it must use TLS. Nil: none.
        public var tlsMandatorySenders: CompiledAddressList?

        /// Whom the hourly recipient limit counts against: this host on this listener.
        public var rateKey: RecipientRateLimiter.Key { .init(listener: listenerName, address: peer.address) }

        public init(
            icid: Int, hostname: String, listenerName: String, listenerType: ListenerType, peer: PeerFacts,
            match: HATMatch, recipientAccess: CompiledRecipientAccess?, defaultDomain: String = "",
            tlsAvailable: Bool = true, maxHeaderLines: Int = 0, badCommandLimit: Int = 5,
            recipientLimiter: RecipientRateLimiter? = nil, acquireTLSSlot: (@Sendable () -> Bool)? = nil,
            auth: AuthContext? = nil,
            messageBudgetAvailable: (@Sendable () -> Bool)? = nil, tlsMandatorySenders: CompiledAddressList? = nil
        ) {
            self.tlsMandatorySenders = tlsMandatorySenders
            self.auth = auth
            self.icid = icid
            self.hostname = hostname
            self.listenerName = listenerName
            self.listenerType = listenerType
            self.peer = peer
            self.match = match
            self.recipientAccess = recipientAccess
            self.defaultDomain = defaultDomain
            self.tlsAvailable = tlsAvailable
            self.maxHeaderLines = maxHeaderLines
            self.badCommandLimit = badCommandLimit
            self.recipientLimiter = recipientLimiter
            self.acquireTLSSlot = acquireTLSSlot
            self.messageBudgetAvailable = messageBudgetAvailable
        }
    }
}

extension SMTPSession {
    /// What AUTH is checked with on this listener.
    public struct AuthContext: Sendable {
        /// The smtpauthconfig profile's name, for the mail log.
        public var profile: String
        /// The failure limits (smtpauthconfig SETUP).
        public var limits: SMTPAuthConfiguration
        public var failures: AuthFailureLimiter

        public init(profile: String, limits: SMTPAuthConfiguration, failures: AuthFailureLimiter) {
            self.profile = profile
            self.limits = limits
            self.failures = failures
        }
    }

    /// What the profile's checker answered.
    public enum AuthOutcome: Sendable, Equatable {
        case accepted
        case rejected
        /// The checker could not answer (directory down, timeout): `454`, not a failure.
        case unavailable(reason: String)
    }
}
