import Foundation
import PosternSpool
import PosternConfig
import PosternPolicy

/// One SMTP server session as a state machine: events in, actions out, no I/O
/// (style.md §2). The engine's handler feeds it lines and outcomes and carries out what
/// it returns, in order.
public struct SMTPSession {
    /// What the session is waiting for.
    public enum State: Sendable, Equatable {
        /// Connected; the greeting has not been sent.
        case connected
        /// Greeting sent; HELO or EHLO expected.
        case greeted
        /// Hello received; no mail transaction.
        case idle
        /// MAIL accepted; recipients being collected.
        case transaction
        /// `354` sent; the message is being read.
        case data
        /// The message went to the spool; its fate decides the reply.
        case storing
        /// `220` to STARTTLS sent; the handshake runs.
        case handshaking
        /// A `334` sent; the client's AUTH response is expected.
        case authenticating
        /// The credentials are with the profile's checker.
        case verifying
        /// A failed AUTH waits out its delay before the reply.
        case authPenalty
        /// The HAT rejected the host: the session waits for QUIT.
        case rejected
        /// Nothing more is read.
        case closed
    }

    struct Transaction {
        var mid: Int
        var sender: MailPath
        var parameters: MailParameters
        var recipients: [MailPath] = []
        var rejected = 0
        /// Recipients that count against the hourly limit (not those whose RAT entry bypasses it).
        var counted = 0
    }

    /// More `Received:` headers than this is a mail loop (RFC 5321 §6.3; Postfix's
    /// hopcount_limit is 50).
    public static let maxReceivedHeaders = 50

    public let context: Context
    public private(set) var state: State = .connected
    var hello: (name: String, extended: Bool)?
    public internal(set) var tls: TLSInfo?
    var transaction: Transaction?
    var authExchange: SMTPAuthExchange?
    /// The user this session authenticated as (RFC 4954); nil before AUTH succeeds.
    public internal(set) var authenticatedUser: String?
    /// The reply a failed AUTH gets once its delay has passed.
    var authPenaltyReply: (reply: SMTPReply, close: Bool)?
    /// The credentials with the checker while `verifying`.
    var pendingCredentials: SMTPCredentials?
    var badCommands = 0
    /// Commands refused for TLS (see `refusal`).
    var refusals = 0
    public private(set) var messagesAccepted = 0
    /// Whether this connection took a TLS slot, which the handler gives back when it closes.
    public internal(set) var holdsTLSSlot = false
    var loggedTLSRequired = false
    /// Nil when no MID can be reserved durably: the transaction is refused with a 451.
    let allocateMID: @Sendable () -> Int?
    private let now: @Sendable () -> Date
    /// Called with every state change (`old -> new`), for debugging a session.
    public var tracer: (@Sendable (State, State) -> Void)?

    var parameters: PolicyParameters { context.match.parameters }

    public init(context: Context, allocateMID: @escaping @Sendable () -> Int?, now: @escaping @Sendable () -> Date = Date.init) {
        self.context = context
        self.allocateMID = allocateMID
        self.now = now
    }

    /// The only way the state changes.
    mutating func enter(_ new: State) {
        tracer?(state, new)
        state = new
    }

    /// Whether the handler should hand over the next line or data (not while the spool or
    /// the TLS handshake is pending, and never after close).
    public var acceptsInput: Bool {
        switch state {
        case .greeted, .idle, .transaction, .data, .rejected, .authenticating: return true
        case .connected, .storing, .handshaking, .closed, .verifying, .authPenalty: return false
        }
    }

    // MARK: Events

    /// The connection is up: greet, or refuse per the HAT.
    public mutating func start() -> [Action] {
        guard state == .connected else { fatalError("SMTPSession.start() in state \(state)") }
        switch context.match.behavior {
        case .accept, .relay, .continue:
            enter(.greeted)
            let response = parameters.acceptResponse
            if response.text.isEmpty && response.code == 220 { return [.reply(Replies.greeting(context.hostname))] }
            return [.reply(Replies.banner(code: response.code, host: context.hostname,
                                          text: response.text.isEmpty ? "ESMTP" : response.text))]
        case .reject:
            enter(.rejected)
            let response = parameters.rejectResponse
            if response.text.isEmpty && response.code == 554 { return [.reply(Replies.rejectBanner(context.hostname))] }
            return [.reply(Replies.banner(code: response.code, host: context.hostname,
                                          text: response.text.isEmpty ? "Access denied" : response.text))]
        case .tcpRefuse:
            enter(.closed)
            return [.close]
        }
    }

    /// A command line arrived.
    public mutating func receive(line: String) -> [Action] {
        switch state {
        case .closed:
            return []
        case .connected, .data, .storing, .handshaking, .verifying, .authPenalty:
            fatalError("SMTPSession got a command line in state \(state)")
        case .authenticating:
            return authResponse(line)
        case .rejected:
            if case .success(.quit) = SMTPCommandParser.parse(line) { return quit() }
            return [.reply(Replies.rejected)]
        case .greeted, .idle, .transaction:
            break
        }
        switch SMTPCommandParser.parse(line, defaultDomain: context.defaultDomain) {
        case .failure(.unrecognized):
            return badCommand(Replies.unrecognized)
        case .failure(.syntax(let reply)):
            return badCommand(reply)
        case .success(let command):
            if parameters.tls.requiresTLS && tls == nil && !command.verb.allowedBeforeRequiredTLS {
                var actions: [Action] = []
                if !loggedTLSRequired {
                    loggedTLSRequired = true
                    actions.append(.log(.tlsRequiredNotInitiated(icid: context.icid)))
                }
                return actions + refusal(Replies.mustStartTLS)
            }
            return perform(command)
        }
    }

    /// A command line over the length limit arrived (and was discarded).
    public mutating func lineTooLong() -> [Action] {
        guard state != .closed else { return [] }
        if state == .authenticating { return authLineTooLong() }
        return badCommand(Replies.lineTooLong)
    }

    /// The message's terminating `.` arrived. `size` counts the bytes received (after
    /// unstuffing); `oversize` is set when they passed the policy's maximum, `overBudget`
    /// when the engine's budget of message bytes in memory ran out while it arrived;
    /// `bareLineEnding` when it held a CR or LF that was not part of a CRLF;
    /// `receivedHeaders` counts its `Received:` headers.
    public mutating func dataComplete(size: Int, oversize: Bool, overBudget: Bool = false, bareLineEnding: Bool = false,
                                      headerLines: Int, receivedHeaders: Int = 0, messageID: String?, subject: String?)
        -> [Action]
    {
        guard state == .data, let t = transaction else { fatalError("dataComplete in state \(state)") }
        func refuse(_ reason: String, _ reply: SMTPReply) -> [Action] {
            transaction = nil
            enter(.idle)
            return [.log(.receivingFailed(icid: context.icid, reason: reason)), .reply(reply)]
        }
        if overBudget && !oversize { return refuse("message memory budget exhausted", Replies.insufficientStorage) }
        if bareLineEnding && !oversize { return refuse("bare <CR> or <LF> received", Replies.bareLineEnding) }
        if receivedHeaders > SMTPSession.maxReceivedHeaders { return refuse("Too many hops", Replies.tooManyHops) }
        if oversize {
            transaction = nil
            enter(.idle)
            return [.log(.receivingFailed(icid: context.icid, reason: "Message size exceeds limit")),
                    .reply(Replies.messageTooLarge)]
        }
        if context.maxHeaderLines > 0 && headerLines > context.maxHeaderLines {
            transaction = nil
            enter(.idle)
            return [.log(.receivingFailed(icid: context.icid, reason: "Too many header lines")),
                    .reply(Replies.tooManyHeaderLines)]
        }
        var actions: [Action] = []
        if let messageID { actions.append(.log(.messageID(mid: t.mid, id: messageID))) }
        if let subject { actions.append(.log(.subject(mid: t.mid, subject: subject))) }
        actions.append(.log(.ready(mid: t.mid, bytes: size, from: t.sender.address)))
        let envelope = Envelope(
            mid: t.mid, icid: context.icid, sender: t.sender.address, recipients: t.recipients.map(\.address),
            heloName: hello?.name ?? "unknown", clientAddress: context.peer.address.description,
            clientName: context.peer.reverseDNS.logName, listener: context.listenerName,
            tlsProtocol: tls?.protocolVersion, tlsCipher: tls?.cipher, body8Bit: t.parameters.body8Bit,
            receivedAt: now())
        enter(.storing)
        // A blackhole listener answers like any other and keeps nothing.
        if context.listenerType == .blackhole { return actions + accepted(discarded: true) }
        return actions + [.store(envelope)]
    }

    /// The spool answered: the message is durable (true) or could not be written.
    public mutating func stored(_ durable: Bool) -> [Action] {
        // The client may have gone while the spool wrote: the message is queued, nobody hears it.
        if state == .closed { return durable ? [.log(.queued(mid: transaction?.mid ?? 0))] : [] }
        guard state == .storing, transaction != nil else { fatalError("stored() in state \(state)") }
        guard durable else {
            transaction = nil
            enter(.idle)
            return [.reply(Replies.storageFailure)]
        }
        return accepted(discarded: false)
    }

    /// The message is on disk (or, on a blackhole listener, dropped): 250 and back to idle.
    mutating func accepted(discarded: Bool) -> [Action] {
        guard let t = transaction else { return [] }
        transaction = nil
        enter(.idle)
        messagesAccepted += 1
        if parameters.maxRecipientsPerHour >= 0 {  // hosts under no limit are not tracked
            context.recipientLimiter?.record(t.counted, for: context.rateKey)
        }
        return [.log(discarded ? .discarded(mid: t.mid) : .queued(mid: t.mid)), .reply(Replies.accepted(mid: t.mid))]
    }

    /// The TLS handshake finished. Everything learned before it is forgotten (RFC 3207 §4.2).
    public mutating func tlsEstablished(_ info: TLSInfo) -> [Action] {
        if state == .closed { return [] }  // a timeout closed the session while the handshake finished
        guard state == .handshaking else { fatalError("tlsEstablished in state \(state)") }
        // Checked after every handshake, full or resumed: a resumed session carries no new
        // certificate, so OpenSSL's "fail if no peer certificate" does not apply to it.
        if let problem = certificateProblem(info) {
            enter(.closed)
            return [.log(.tlsFailed(icid: context.icid, reason: problem)), .close]
        }
        tls = info
        hello = nil
        transaction = nil
        authenticatedUser = nil
        enter(.greeted)
        var actions: [Action] = [.log(.tlsSuccess(icid: context.icid, protocol: info.protocolVersion, cipher: info.cipher))]
        if let subject = info.clientCertificateSubject {
            actions.append(.log(.clientCertificate(icid: context.icid, subject: subject,
                                                   verified: info.clientCertificateVerified)))
        }
        return actions
    }

    /// Why the negotiated session does not meet the policy's demand for a client certificate,
    /// or nil when it does.
    private func certificateProblem(_ info: TLSInfo) -> String? {
        switch clientCertificatePolicy {
        case .notRequested:
            return nil
        case .verifyIfPresented:
            guard info.clientCertificateSubject != nil, !info.clientCertificateVerified else { return nil }
            return "the client certificate did not verify"
        case .required:
            if info.clientCertificateVerified { return nil }
            return info.clientCertificateSubject == nil ? "peer did not return a certificate"
                : "the client certificate did not verify"
        }
    }

    /// The TLS handshake failed; the connection cannot continue.
    public mutating func tlsFailed(reason: String) -> [Action] {
        guard state != .closed else { return [] }
        enter(.closed)
        return [.log(.tlsFailed(icid: context.icid, reason: reason)), .close]
    }

    /// No input for the idle timeout.
    public mutating func idleTimeout() -> [Action] {
        guard state != .closed else { return [] }
        enter(.closed)
        return [.reply(Replies.idleTimeout), .close]
    }

    /// The connection has lasted as long as it may.
    public mutating func connectionTimeLimit() -> [Action] {
        guard state != .closed else { return [] }
        enter(.closed)
        return [.reply(Replies.connectionTimeLimit), .close]
    }

    /// The engine is stopping.
    public mutating func shutdown() -> [Action] {
        guard state != .closed, state != .storing else { return [] }
        enter(.closed)
        return [.reply(Replies.shuttingDown), .close]
    }

    /// The peer went away; returns the log lines for it.
    public mutating func connectionClosed() -> [Action] {
        let lost = state == .data || state == .transaction
        if state == .storing {
            // The spool still finishes the write; `stored` logs it.
            enter(.closed)
            return []
        }
        enter(.closed)
        return lost ? [.log(.lost(icid: context.icid))] : []
    }
}
