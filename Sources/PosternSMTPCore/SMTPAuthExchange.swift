import Foundation

/// The SASL mechanisms the server offers (RFC 4954 §4; PLAIN is RFC 4616, LOGIN the
/// widespread non-standard one AsyncOS also offers).
public enum SMTPAuthMechanism: String, CaseIterable, Sendable {
    case plain = "PLAIN"
    case login = "LOGIN"

    /// The EHLO keyword's value, in the order AsyncOS lists them (asyncos-cli.md §3.1).
    public static let advertised = "AUTH LOGIN PLAIN"
}

/// What a client proved it knows. The password never reaches a description, a log or a trace.
public struct SMTPCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let user: String
    public let password: String
    public let mechanism: SMTPAuthMechanism

    public init(user: String, password: String, mechanism: SMTPAuthMechanism) {
        self.user = user
        self.password = password
        self.mechanism = mechanism
    }

    public var description: String { "\(mechanism.rawValue) user \(user) (password withheld)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["user": user, "mechanism": mechanism]) }

    /// Longest user name and password accepted; longer ones fail without asking the checker.
    public static let maxUserBytes = 256
    public static let maxPasswordBytes = 1024
}

/// One AUTH exchange (RFC 4954 §4): the command, then `334` challenges and the client's
/// base64 answers, until there are credentials to check or the exchange fails. No I/O.
public struct SMTPAuthExchange: Sendable {
    /// What the exchange waits for.
    enum State: Sendable {
        /// PLAIN's single response, after an empty `334 `.
        case plainResponse
        /// LOGIN's user name, after `334 VXNlcm5hbWU6` ("Username:").
        case loginUser
        /// LOGIN's password, after `334 UGFzc3dvcmQ6` ("Password:").
        case loginPassword(user: String)
    }

    /// What the session does next.
    public enum Step: Sendable, Equatable {
        /// Send this `334` and wait for the client's response line.
        case challenge(SMTPReply)
        /// Check these credentials.
        case verify(SMTPCredentials)
        /// Credentials that cannot be right (empty, too long, a foreign authorization
        /// identity): a failed attempt, counted as one, without asking the checker.
        case invalid(user: String, mechanism: SMTPAuthMechanism)
        /// A protocol error (`501`, `504`): the exchange ends, no attempt was made.
        case error(SMTPReply)
    }

    private var state: State
    public let mechanism: SMTPAuthMechanism

    private init(state: State, mechanism: SMTPAuthMechanism) {
        self.state = state
        self.mechanism = mechanism
    }

    /// `AUTH <mechanism> [initial-response]`; returns the exchange when it goes on.
    public static func start(argument: String) -> (SMTPAuthExchange?, Step) {
        let words = argument.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = words.first, words.count <= 2 else { return (nil, .error(Replies.syntax)) }
        guard let mechanism = SMTPAuthMechanism(rawValue: first.uppercased()) else {
            return (nil, .error(Replies.authMechanismUnknown))
        }
        let initial = words.count == 2 ? String(words[1]) : nil
        switch mechanism {
        case .plain:
            var exchange = SMTPAuthExchange(state: .plainResponse, mechanism: .plain)
            guard let initial else { return (exchange, .challenge(SMTPReply(334, ""))) }
            // "=" is an empty initial response (RFC 4954 §4).
            return (nil, exchange.respond(initial == "=" ? "" : initial))
        case .login:
            var exchange = SMTPAuthExchange(state: .loginUser, mechanism: .login)
            guard let initial else { return (exchange, .challenge(Self.usernameChallenge)) }
            let step = exchange.respond(initial == "=" ? "" : initial)
            if case .challenge = step { return (exchange, step) }
            return (nil, step)
        }
    }

    static let usernameChallenge = SMTPReply(334, "VXNlcm5hbWU6")
    static let passwordChallenge = SMTPReply(334, "UGFzc3dvcmQ6")

    /// The client's answer to a `334`.
    public mutating func respond(_ line: String) -> Step {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed == "*" { return .error(Replies.authCancelled) }
        guard let data = Data(base64Encoded: trimmed), let text = String(data: data, encoding: .utf8) else {
            return .error(Replies.authBadBase64)
        }
        switch state {
        case .plainResponse:
            // authzid NUL authcid NUL passwd (RFC 4616 §2).
            let parts = text.split(separator: "\u{0}", omittingEmptySubsequences: false)
            guard parts.count == 3 else { return .error(Replies.authBadBase64) }
            let (authzid, user, password) = (String(parts[0]), String(parts[1]), String(parts[2]))
            // Acting as another user is not offered: only one's own identity, or none.
            if !authzid.isEmpty && authzid != user { return .invalid(user: user, mechanism: .plain) }
            return check(user: user, password: password)
        case .loginUser:
            state = .loginPassword(user: text)
            return .challenge(Self.passwordChallenge)
        case .loginPassword(let user):
            return check(user: user, password: text)
        }
    }

    private func check(user: String, password: String) -> Step {
        // An empty password would be an LDAP "unauthenticated bind" that succeeds (RFC 4513 §5.1.2).
        guard !user.isEmpty, !password.isEmpty, user.utf8.count <= SMTPCredentials.maxUserBytes,
            password.utf8.count <= SMTPCredentials.maxPasswordBytes,
            !user.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else { return .invalid(user: user, mechanism: mechanism) }
        return .verify(SMTPCredentials(user: user, password: password, mechanism: mechanism))
    }
}

extension Replies {
    public static let authNotEnabled = SMTPReply(502, "5.5.1 Authentication is not enabled")
    /// RFC 4954 §6: the mechanism is only available over an encrypted channel.
    public static let authNeedsTLS = SMTPReply(538, "5.7.11 Encryption required for requested authentication mechanism")
    public static let authMechanismUnknown = SMTPReply(504, "5.5.4 Unrecognized authentication type")
    public static let authCancelled = SMTPReply(501, "5.0.0 Authentication cancelled")
    public static let authBadBase64 = SMTPReply(501, "5.5.2 Cannot decode response")
    public static let authLineTooLong = SMTPReply(500, "5.5.6 Authentication Exchange line is too long")
    public static let authAlready = SMTPReply(503, "5.5.1 Already authenticated")
    public static let authInTransaction = SMTPReply(503, "5.5.1 AUTH not permitted during a mail transaction")
    public static let authSucceeded = SMTPReply(235, "2.7.0 Authentication successful")
    public static let authInvalid = SMTPReply(535, "5.7.8 Authentication credentials invalid")
    public static let authTemporaryFailure = SMTPReply(454, "4.7.0 Temporary authentication failure")
    public static let authRequired = SMTPReply(530, "5.7.0 Authentication required")
    public static let authTooManyFailures = SMTPReply(421, "4.7.0 Too many failed authentication attempts, disconnecting.")
}
