import PosternConfig
import PosternPolicy

/// SMTP AUTH (RFC 4954) in the session: offered per the mail flow policy ("allow SMTP
/// authentication", "Require TLS to offer SMTP authentication", asyncos-cli.md §2.5) when the
/// listener has a profile; the exchange itself is `SMTPAuthExchange`.
extension SMTPSession {
    /// Whether the policy allows AUTH and the listener can check it.
    var offersAuth: Bool { parameters.smtpAuth != .no && context.auth != nil }

    /// "Require TLS to offer SMTP authentication" is asked, and counts, only when TLS is on; when
    /// TLS is required, AUTH waits for it whatever the answer (Postfix: enforced TLS implies
    /// `smtpd_tls_auth_only`), or a client would send its initial response in the clear.
    var authNeedsTLS: Bool {
        parameters.tls.requiresTLS || (parameters.requireTLSForAuth && parameters.tls.offersTLS)
    }

    /// Whether EHLO lists AUTH now: never in the clear when the policy wants TLS for it.
    var advertisesAuth: Bool { offersAuth && (tls != nil || !authNeedsTLS) }

    mutating func auth(_ argument: String) -> [Action] {
        guard offersAuth, let auth = context.auth else { return [.reply(Replies.authNotEnabled)] }
        guard tls != nil || !authNeedsTLS else { return [.reply(Replies.authNeedsTLS)] }
        guard hello?.extended == true else { return [.reply(Replies.needHelo)] }
        guard authenticatedUser == nil else { return [.reply(Replies.authAlready)] }
        guard transaction == nil else { return [.reply(Replies.authInTransaction)] }
        if auth.failures.isLockedOut(context.peer.address, limits: auth.limits) {
            enter(.closed)
            return [.log(.authLockedOut(icid: context.icid)), .reply(Replies.authTooManyFailures), .close]
        }
        let (exchange, step) = SMTPAuthExchange.start(argument: argument)
        authExchange = exchange
        return follow(step)
    }

    /// A response line to a `334`.
    mutating func authResponse(_ line: String) -> [Action] {
        guard var exchange = authExchange else { fatalError("authenticating without an exchange") }
        let step = exchange.respond(line)
        authExchange = exchange
        return follow(step)
    }

    /// An AUTH response over the line limit ends the exchange (RFC 4954 §4: 500 5.5.6).
    mutating func authLineTooLong() -> [Action] {
        authExchange = nil
        enter(.idle)
        return [.reply(Replies.authLineTooLong)]
    }

    private mutating func follow(_ step: SMTPAuthExchange.Step) -> [Action] {
        switch step {
        case .challenge(let reply):
            enter(.authenticating)
            return [.reply(reply)]
        case .verify(let credentials):
            authExchange = nil
            pendingCredentials = credentials
            enter(.verifying)
            return [.authenticate(credentials)]
        case .invalid(let user, let mechanism):
            authExchange = nil
            return failed(user: user, mechanism: mechanism)
        case .error(let reply):
            authExchange = nil
            enter(.idle)
            return [.reply(reply)]
        }
    }

    /// The profile's checker answered.
    public mutating func authCompleted(_ outcome: AuthOutcome) -> [Action] {
        if state == .closed { return [] }  // the client left while the directory thought
        guard state == .verifying, let credentials = pendingCredentials, let auth = context.auth else {
            fatalError("authCompleted in state \(state)")
        }
        pendingCredentials = nil
        let user = credentials.user, mechanism = credentials.mechanism.rawValue
        switch outcome {
        case .accepted:
            // The address's failures stay counted: a success with one's own password must not
            // reset the count between guesses at others'.
            authenticatedUser = user
            enter(.idle)
            return [.log(.authSucceeded(icid: context.icid, user: user, mechanism: mechanism, profile: auth.profile)),
                    .reply(Replies.authSucceeded)]
        case .rejected:
            return failed(user: user, mechanism: credentials.mechanism)
        case .unavailable(let reason):
            enter(.idle)
            return [.log(.authTemporaryFailure(icid: context.icid, user: user, mechanism: mechanism,
                                               profile: auth.profile, reason: reason)),
                    .reply(Replies.authTemporaryFailure)]
        }
    }

    /// A failed attempt: counted against the address, answered after its delay.
    private mutating func failed(user: String, mechanism: SMTPAuthMechanism) -> [Action] {
        guard let auth = context.auth else { fatalError("AUTH failed without a profile") }
        let verdict = auth.failures.recordFailure(context.peer.address, limits: auth.limits)
        authPenaltyReply = verdict.lockedOut ? (Replies.authTooManyFailures, true) : (Replies.authInvalid, false)
        enter(.authPenalty)
        return [.log(.authFailed(icid: context.icid, user: user, mechanism: mechanism.rawValue, profile: auth.profile)),
                .pause(milliseconds: verdict.delayMilliseconds)]
    }

    /// The delay after a failed AUTH has passed: `535`, or `421` at the limit.
    public mutating func authPenaltyServed() -> [Action] {
        if state == .closed { return [] }
        guard state == .authPenalty, let pending = authPenaltyReply else {
            fatalError("authPenaltyServed in state \(state)")
        }
        authPenaltyReply = nil
        if pending.close {
            enter(.closed)
            return [.log(.authLockedOut(icid: context.icid)), .reply(pending.reply), .close]
        }
        enter(.idle)
        return [.reply(pending.reply)]
    }
}
