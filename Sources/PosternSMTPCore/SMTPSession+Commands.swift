import PosternConfig
import PosternPolicy

/// The commands of a session: checking the state and arguments, then doing (style.md §4).
extension SMTPSession {
    mutating func badCommand(_ reply: SMTPReply) -> [Action] {
        badCommands += 1
        if badCommands >= context.badCommandLimit {
            enter(.closed)
            return [.reply(Replies.tooManyBadCommands), .close]
        }
        return [.reply(reply)]
    }

    /// Postfix's smtpd_hard_error_limit: past this many commands refused for TLS in one session,
    /// the session ends.
    static let refusalLimit = 20

    /// A well-formed command refused because TLS is not up (Required, or a sender the policy's
    /// address list requires TLS for). A client that keeps sending it would cost a reply each
    /// time without bound; past `refusalLimit` it is disconnected, as Postfix does.
    mutating func refusal(_ reply: SMTPReply) -> [Action] {
        refusals += 1
        if refusals >= Self.refusalLimit {
            enter(.closed)
            return [.reply(Replies.tooManyRefusals), .close]
        }
        return [.reply(reply)]
    }

    mutating func perform(_ command: SMTPCommand) -> [Action] {
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
                return [.reply(hello == nil ? Replies.needHelo : Replies.needMailBeforeData)]
            }
            guard !t.recipients.isEmpty else {
                return [.reply(t.rejected > 0 ? Replies.noValidRecipients : Replies.needRecipient)]
            }
            if let available = context.messageBudgetAvailable, !available() {
                return [.log(.receivingFailed(icid: context.icid, reason: "message memory budget exhausted")),
                        .reply(Replies.insufficientStorage)]
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
        case .auth(let argument):
            return auth(argument)
        }
    }

    var offersTLS: Bool { parameters.tls.offersTLS && context.tlsAvailable }

    var clientCertificatePolicy: ClientCertificatePolicy {
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
        if advertisesAuth { lines.append(SMTPAuthMechanism.advertised) }
        lines += ["PIPELINING", "ENHANCEDSTATUSCODES"]
        return SMTPReply(250, lines)
    }

    mutating func quit() -> [Action] {
        enter(.closed)
        return [.reply(Replies.quit(context.hostname)), .close]
    }

    private mutating func mail(_ sender: MailPath, _ mailParameters: MailParameters) -> [Action] {
        guard hello != nil else { return [.reply(Replies.needHelo)] }
        guard transaction == nil else { return [.reply(Replies.nestedMail)] }
        if tls == nil, let list = context.tlsMandatorySenders, list.contains(local: sender.localPart, domain: sender.domain) {
            // Logged once per session: a client that loops on it must not fill the mail log.
            var actions: [Action] = []
            if !loggedTLSRequired {
                loggedTLSRequired = true
                actions.append(.log(.tlsRequiredForSender(icid: context.icid, address: sender.address, list: list.name)))
            }
            return actions + refusal(Replies.tlsRequiredForSender(sender.address))
        }
        if parameters.smtpAuth == .required && authenticatedUser == nil { return [.reply(Replies.authRequired)] }
        guard messagesAccepted < parameters.maxMessagesPerSession else { return [.reply(Replies.tooManyMessages)] }
        if let size = mailParameters.declaredSize, size > parameters.maxMessageSize {
            return [.reply(Replies.declaredSizeTooLarge)]
        }
        guard let mid = allocateMID() else { return [.reply(Replies.noMessageID)] }
        transaction = Transaction(mid: mid, sender: sender, parameters: mailParameters)
        enter(.transaction)
        return [.log(.startMessage(mid: mid, icid: context.icid)),
                .log(.sender(mid: mid, icid: context.icid, address: sender.address)),
                .reply(Replies.sender(sender.address))]
    }

    private mutating func rcpt(_ path: MailPath) -> [Action] {
        guard var t = transaction else { return [.reply(hello == nil ? Replies.needHelo : Replies.needMail)] }
        guard t.recipients.count < parameters.maxRecipientsPerMessage else { return [.reply(Replies.tooManyRecipients)] }
        // RFC 5321 §4.5.1: `<Postmaster>` is always accepted, for this host, RAT or not.
        let postmaster = path.isBarePostmaster
        let recipient = postmaster
            ? MailPath(address: "postmaster@\(context.hostname)", localPart: "postmaster", domain: context.hostname) : path
        // Public listeners accept only what the RAT allows, unless the sender group relays.
        var bypassesLimits = false
        // An Accept entry's custom response is what the sender is told (the dialog asks for it).
        var acceptReply: SMTPReply?
        // An authenticated client relays, as on an AsyncOS listener with SMTP AUTH.
        if !postmaster, context.match.behavior != .relay, authenticatedUser == nil, let rat = context.recipientAccess {
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
