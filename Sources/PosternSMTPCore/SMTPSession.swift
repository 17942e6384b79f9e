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

    public let context: Context
    public private(set) var state: State = .connected
    private var hello: (name: String, extended: Bool)?
    public private(set) var tls: TLSInfo?
    private var transaction: Transaction?
    private var badCommands = 0
    public private(set) var messagesAccepted = 0
    /// Whether this connection took a TLS slot, which the handler gives back when it closes.
    public private(set) var holdsTLSSlot = false
    private var loggedTLSRequired = false
    private let allocateMID: @Sendable () -> Int
    private let now: @Sendable () -> Date
    /// Called with every state change (`old -> new`), for debugging a session.
    public var tracer: (@Sendable (State, State) -> Void)?

    private var parameters: PolicyParameters { context.match.parameters }

    public init(context: Context, allocateMID: @escaping @Sendable () -> Int, now: @escaping @Sendable () -> Date = Date.init) {
        self.context = context
        self.allocateMID = allocateMID
        self.now = now
    }

    /// The only way the state changes.
    private mutating func enter(_ new: State) {
        tracer?(state, new)
        state = new
    }

    /// Whether the handler should hand over the next line or data (not while the spool or
    /// the TLS handshake is pending, and never after close).
    public var acceptsInput: Bool {
        switch state {
        case .greeted, .idle, .transaction, .data, .rejected: return true
        case .connected, .storing, .handshaking, .closed: return false
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
        case .connected, .data, .storing, .handshaking:
            fatalError("SMTPSession got a command line in state \(state)")
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
                return actions + [.reply(Replies.mustStartTLS)]
            }
            return perform(command)
        }
    }

    /// A command line over the length limit arrived (and was discarded).
    public mutating func lineTooLong() -> [Action] {
        guard state != .closed else { return [] }
        return badCommand(Replies.lineTooLong)
    }

    /// The message's terminating `.` arrived. `size` counts the bytes received (after
    /// unstuffing); `oversize` is set when they passed the policy's maximum.
    public mutating func dataComplete(size: Int, oversize: Bool, headerLines: Int, messageID: String?, subject: String?)
        -> [Action]
    {
        guard state == .data, let t = transaction else { fatalError("dataComplete in state \(state)") }
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
    private mutating func accepted(discarded: Bool) -> [Action] {
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
        tls = info
        hello = nil
        transaction = nil
        enter(.greeted)
        var actions: [Action] = [.log(.tlsSuccess(icid: context.icid, protocol: info.protocolVersion, cipher: info.cipher))]
        if let subject = info.clientCertificateSubject {
            actions.append(.log(.clientCertificate(icid: context.icid, subject: subject,
                                                   verified: info.clientCertificateVerified)))
        }
        return actions
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

    // MARK: Commands

    private mutating func badCommand(_ reply: SMTPReply) -> [Action] {
        badCommands += 1
        if badCommands >= context.badCommandLimit {
            enter(.closed)
            return [.reply(Replies.tooManyBadCommands), .close]
        }
        return [.reply(reply)]
    }

    private mutating func perform(_ command: SMTPCommand) -> [Action] {
        switch command {
        case .ehlo(let name):
            hello = (name, true)
            transaction = nil
            enter(.idle)
            return [.reply(ehloReply())]
        case .helo(let name):
            hello = (name, false)
            transaction = nil
            enter(.idle)
            return [.reply(Replies.helo(context.hostname))]
        case .mail(let sender, let mailParameters):
            return mail(sender, mailParameters)
        case .rcpt(let recipient):
            return rcpt(recipient)
        case .data:
            guard let t = transaction else {
                return [.reply(hello == nil ? Replies.needHelo : Replies.needMail)]
            }
            guard !t.recipients.isEmpty else {
                return [.reply(t.rejected > 0 ? Replies.noValidRecipients : Replies.needRecipient)]
            }
            enter(.data)
            return [.beginData, .reply(Replies.startData)]
        case .rset:
            transaction = nil
            enter(hello == nil ? .greeted : .idle)
            return [.reply(Replies.ok)]
        case .noop:
            return [.reply(Replies.ok)]
        case .quit:
            return quit()
        case .vrfy:
            return [.reply(Replies.vrfy)]
        case .help:
            return [.reply(Replies.help)]
        case .starttls:
            guard tls == nil else { return [.reply(Replies.tlsAlreadyActive)] }
            guard offersTLS else { return [.reply(Replies.tlsNotAvailable)] }
            if let acquire = context.acquireTLSSlot {
                guard acquire() else {
                    return [.log(.tlsFailed(icid: context.icid, reason: "the limit of concurrent TLS connections is reached")),
                            .reply(Replies.tlsBusy)]
                }
                holdsTLSSlot = true
            }
            transaction = nil
            enter(.handshaking)
            return [.reply(Replies.startTLS), .startTLS(clientCertificatePolicy)]
        case .auth:
            return [.reply(SMTPReply(502, "5.5.1 Authentication is not enabled"))]
        }
    }

    private var offersTLS: Bool { parameters.tls.offersTLS && context.tlsAvailable }

    private var clientCertificatePolicy: ClientCertificatePolicy {
        switch parameters.tls {
        case .preferredVerify: return .verifyIfPresented
        case .requiredVerify: return .required
        case .no, .preferred, .required: return .notRequested
        }
    }

    /// The EHLO keywords (RFC 5321 §4.1.1.1); STARTTLS only before TLS (RFC 3207 §4.2).
    private func ehloReply() -> SMTPReply {
        var lines = [context.hostname, "8BITMIME", "SIZE \(parameters.maxMessageSize)"]
        if offersTLS && tls == nil { lines.append("STARTTLS") }
        lines += ["PIPELINING", "ENHANCEDSTATUSCODES"]
        return SMTPReply(250, lines)
    }

    private mutating func quit() -> [Action] {
        enter(.closed)
        return [.reply(Replies.quit(context.hostname)), .close]
    }

    private mutating func mail(_ sender: MailPath, _ mailParameters: MailParameters) -> [Action] {
        guard hello != nil else { return [.reply(Replies.needHelo)] }
        guard transaction == nil else { return [.reply(Replies.nestedMail)] }
        guard messagesAccepted < parameters.maxMessagesPerSession else { return [.reply(Replies.tooManyMessages)] }
        if let size = mailParameters.declaredSize, size > parameters.maxMessageSize {
            return [.reply(Replies.declaredSizeTooLarge)]
        }
        let mid = allocateMID()
        transaction = Transaction(mid: mid, sender: sender, parameters: mailParameters)
        enter(.transaction)
        return [.log(.startMessage(mid: mid, icid: context.icid)),
                .log(.sender(mid: mid, icid: context.icid, address: sender.address)),
                .reply(Replies.sender(sender.address))]
    }

    private mutating func rcpt(_ recipient: MailPath) -> [Action] {
        guard var t = transaction else { return [.reply(hello == nil ? Replies.needHelo : Replies.needMail)] }
        guard t.recipients.count < parameters.maxRecipientsPerMessage else { return [.reply(Replies.tooManyRecipients)] }
        // Public listeners accept only what the RAT allows, unless the sender group relays.
        var bypassesLimits = false
        // An Accept entry's custom response is what the sender is told (the dialog asks for it).
        var acceptReply: SMTPReply?
        if context.match.behavior != .relay, let rat = context.recipientAccess {
            let decision = rat.evaluate(local: recipient.localPart, domain: recipient.domain)
            if decision.action == .reject {
                t.rejected += 1
                transaction = t
                let reply = decision.response.map { SMTPReply($0.code, $0.text) }
                    ?? Replies.addressRejected("<\(recipient.address)>")
                return [.log(.recipientRejected(mid: t.mid, icid: context.icid, address: recipient.address)),
                        .reply(reply)]
            }
            bypassesLimits = decision.bypassesReceivingControl
            acceptReply = decision.response.map { SMTPReply($0.code, $0.text) }
        }
        // Recipients of messages already accepted this hour, and of this one so far.
        if !bypassesLimits, let limiter = context.recipientLimiter, parameters.maxRecipientsPerHour >= 0,
           limiter.used(context.rateKey) + t.counted >= parameters.maxRecipientsPerHour {
            return [.log(.recipientRateLimited(mid: t.mid, icid: context.icid, address: recipient.address)),
                    .reply(Replies.recipientsPerHourExceeded(parameters.rateLimitResponse))]
        }
        let rid = t.recipients.count
        t.recipients.append(recipient)
        if !bypassesLimits { t.counted += 1 }
        transaction = t
        return [.log(.recipient(mid: t.mid, icid: context.icid, rid: rid, address: recipient.address)),
                .reply(acceptReply ?? Replies.recipient(recipient.address))]
    }
}
