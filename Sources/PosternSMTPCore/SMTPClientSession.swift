/// One outbound SMTP connection as a state machine (RFC 5321 client side, RFC 3207 STARTTLS,
/// RFC 2920 PIPELINING): replies in, commands and outcomes out. The TLS rules are those
/// of asyncos-cli.md §3.2. The engine's client handler carries out the actions.
public struct SMTPClientSession: Sendable {
    /// Where the conversation is.
    enum State: Equatable {
        /// Waiting for the greeting.
        case greeting
        /// EHLO sent (before or after TLS).
        case ehlo(afterTLS: Bool)
        /// EHLO refused; HELO sent.
        case helo
        /// STARTTLS sent, waiting for 220.
        case startTLS
        /// 220 received, handshake running.
        case handshaking
        /// AUTH sent for a forwarded check.
        case authenticating
        /// MAIL/RCPT/DATA sent for the current job, replies being matched.
        case transaction
        /// Message data sent; waiting for the reply to `.`.
        case dataSent
        /// QUIT sent.
        case quitting
        case closed
    }

    private enum Expect: Equatable {
        case mail
        case rcpt(Int)
        case data
        case rset
    }

    var state = State.greeting
    private let heloName: String
    private let tls: TLSLevelPolicy
    private var jobs: [Job]
    private var current = 0
    private var pipelining = false
    private var serverOffersTLS = false
    private var serverOffers8BitMIME = false
    private var serverOffersSMTPUTF8 = false
    private var maxSize: Int?
    private var expected: [Expect] = []
    private var outcomes: [Int: Outcome] = [:]
    private var acceptedRecipients = 0
    public private(set) var tlsActive = false
    /// The EHLO that follows the handshake has been sent and not yet answered.
    public var awaitingEHLOAfterTLS: Bool { state == .ehlo(afterTLS: true) }
    /// The first EHLO (in the clear) listed STARTTLS.
    public private(set) var startTLSOffered = false
    /// A probe (`posternd --probe`): MAIL and RCPT are sent and answered, DATA never is.
    let stopBeforeData: Bool
    /// Credentials to check by AUTH before any job (a FORWARD profile); nil for delivery.
    let auth: SMTPCredentials?
    var authDone = false
    var serverAuthMechanisms: Set<String> = []

    public init(heloName: String, tls: TLSLevelPolicy, jobs: [Job], auth: SMTPCredentials? = nil,
                stopBeforeData: Bool = false) {
        self.heloName = heloName
        self.tls = tls
        self.jobs = jobs
        self.auth = auth
        self.stopBeforeData = stopBeforeData
    }

    // MARK: Events

    public mutating func receive(_ reply: SMTPReply) -> [Action] {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return failAll(reply, "greeting") }
            state = .ehlo(afterTLS: false)
            return [.send("EHLO \(heloName)")]
        case .ehlo(let afterTLS):
            guard reply.code == 250 else {
                if afterTLS { return failAll(reply, "EHLO after STARTTLS") }
                state = .helo
                return [.send("HELO \(heloName)")]
            }
            readExtensions(reply)
            if !afterTLS { startTLSOffered = serverOffersTLS }
            if !afterTLS && tls.attempts && serverOffersTLS {
                state = .startTLS
                return [.send("STARTTLS")]
            }
            if !afterTLS && tls.mandatory {
                return requiredTLSMissing("the receiving server does not offer STARTTLS")
            }
            return authOrStartJob()
        case .helo:
            guard reply.code == 250 else { return failAll(reply, "HELO") }
            if tls.mandatory { return requiredTLSMissing("the receiving server does not offer STARTTLS") }
            return authOrStartJob()
        case .startTLS:
            if reply.code == 220 {
                state = .handshaking
                return [.startTLS]
            }
            // Refused before the 220: Preferred continues in the clear (§3.2).
            if tls.mandatory { return requiredTLSMissing("STARTTLS was answered \(reply.code)") }
            return authOrStartJob()
        case .handshaking:
            return []  // the handler feeds no replies while TLS is being negotiated
        case .authenticating:
            return authReply(reply)
        case .transaction:
            return transactionReply(reply)
        case .dataSent:
            state = .transaction
            let job = current
            for recipient in jobs[job].recipients where !mailRefused && (outcomes[recipient.rid].map(isAccepted) ?? false) {
                outcomes[recipient.rid] = reply.code < 300 ? .delivered(reply)
                    : reply.code < 500 ? .deferred(reply.text, enhanced: reply.enhancedCode ?? "4.0.0") : .failed(reply)
            }
            return finishJob() + nextJobOrQuit()
        case .quitting:
            state = .closed
            return [.close]
        case .closed:
            return []
        }
    }

    /// The handshake finished; `acceptable` is false when a -Verify level's check failed.
    public mutating func tlsEstablished(verified: Bool, reason: String) -> [Action] {
        guard state == .handshaking else { fatalError("tlsEstablished in \(state)") }
        tlsActive = true
        if tls == .requiredVerify && !verified {
            return requiredTLSMissing("the certificate did not verify: \(reason)", quit: true)
        }
        state = .ehlo(afterTLS: true)
        return [.send("EHLO \(heloName)")]
    }

    /// The handshake failed after the 220: no fallback to plaintext on this connection.
    public mutating func tlsFailed(_ reason: String) -> [Action] {
        if tls.mandatory { return requiredTLSMissing(reason, quit: false) }
        return deferAll("TLS negotiation failed after STARTTLS: \(reason)", enhanced: "4.7.5")
    }

    /// The connection ended; every recipient without an outcome is deferred.
    public mutating func connectionLost(_ reason: String) -> [Action] {
        guard state != .closed, state != .quitting else {
            state = .closed
            return []
        }
        return deferAll(reason, enhanced: "4.4.2", close: false)
    }

    // MARK: Transactions

    private mutating func readExtensions(_ reply: SMTPReply) {
        // What was learnt before STARTTLS is forgotten (RFC 3207 §4.2): the new EHLO decides.
        (pipelining, serverOffersTLS, serverOffers8BitMIME, serverOffersSMTPUTF8, maxSize) = (false, false, false, false, nil)
        serverAuthMechanisms = []
        for line in reply.lines.dropFirst() {
            let words = line.uppercased().split(separator: " ")
            switch words.first {
            case "PIPELINING": pipelining = true
            case "STARTTLS": serverOffersTLS = true
            case "8BITMIME": serverOffers8BitMIME = true
            case "SMTPUTF8": serverOffersSMTPUTF8 = true
            case "SIZE": maxSize = words.count > 1 ? Int(words[1]) : nil
            case "AUTH": serverAuthMechanisms = Set(words.dropFirst().map(String.init))
            default: break
            }
        }
    }

    mutating func startJob() -> [Action] {
        guard current < jobs.count else { return quit() }
        let job = jobs[current]
        if let maxSize, maxSize > 0, job.size > maxSize {
            for r in job.recipients {
                outcomes[r.rid] = .failed(SMTPReply(552, "5.3.4 Message size \(job.size) exceeds the receiver's limit \(maxSize)"))
            }
            return finishJob() + nextJobOrQuit()
        }
        // No downgrade: a message the receiver cannot take as it is bounces (RFC 6152 §3, RFC 6531 §3.5).
        if let refusal = contentRefusal(job) {
            for r in job.recipients { outcomes[r.rid] = .failed(refusal) }
            return finishJob() + nextJobOrQuit()
        }
        state = .transaction
        acceptedRecipients = 0
        mailRefused = false
        var mail = "MAIL FROM:<\(job.sender)>"
        if maxSize != nil { mail += " SIZE=\(job.size)" }
        if job.body8Bit { mail += " BODY=8BITMIME" }
        if job.needsSMTPUTF8 { mail += " SMTPUTF8" }
        let commands = [mail] + job.recipients.map { "RCPT TO:<\($0.address)>" } + (stopBeforeData ? [] : ["DATA"])
        expected = [.mail] + job.recipients.indices.map { Expect.rcpt($0) } + (stopBeforeData ? [] : [.data])
        // With PIPELINING the whole group goes at once (RFC 2920 §3.1: DATA ends it).
        return [.jobStarted(job: current)] + (pipelining ? commands.map { .send($0) } : [.send(commands[0])])
    }

    /// Why the receiver cannot be given `job` at all, from what its EHLO offered.
    private func contentRefusal(_ job: Job) -> SMTPReply? {
        if job.needsSMTPUTF8 && !serverOffersSMTPUTF8 {
            return SMTPReply(553, "5.6.7 The envelope has non-ASCII addresses and the receiving server does not "
                             + "offer SMTPUTF8 (RFC 6531)")
        }
        if job.body8Bit && !serverOffers8BitMIME {
            return SMTPReply(554, "5.6.3 The message has 8-bit data and the receiving server does not offer 8BITMIME "
                             + "(RFC 6152)")
        }
        return nil
    }

    private mutating func transactionReply(_ reply: SMTPReply) -> [Action] {
        guard !expected.isEmpty else { return [] }
        let what = expected.removeFirst()
        let job = jobs[current]
        switch what {
        case .mail:
            guard reply.code < 300 else {
                for r in job.recipients { outcomes[r.rid] = outcome(reply) }
                mailRefused = true
                if pipelining && !expected.isEmpty { return [] }  // the RCPT and DATA replies still come; they change nothing
                expected = []
                return finishJob() + reset()
            }
        case .rcpt(let index):
            guard !mailRefused else { return stopBeforeData && expected.isEmpty ? finishJob() + reset() : [] }
            let rid = job.recipients[index].rid
            if reply.code < 300 {
                outcomes[rid] = .delivered(reply)  // provisional: the reply to the data decides
                acceptedRecipients += 1
            } else {
                outcomes[rid] = outcome(reply)
            }
        case .data:
            if reply.code == 354 {
                state = .dataSent
                // A server that wants data when no recipient was accepted gets an empty message.
                return acceptedRecipients == 0 || mailRefused ? [.send(".")] : [.sendBody(job: current)]
            }
            if !mailRefused {
                for r in job.recipients where outcomes[r.rid].map(isAccepted) ?? false { outcomes[r.rid] = outcome(reply) }
            }
            return finishJob() + reset()
        case .rset:
            return nextJobOrQuit()
        }
        // A probe ends its transaction after the last RCPT reply.
        if stopBeforeData && expected.isEmpty { return finishJob() + reset() }
        // Without PIPELINING, one command per reply.
        guard !pipelining, let next = expected.first else { return [] }
        switch next {
        case .rcpt(let i): return [.send("RCPT TO:<\(job.recipients[i].address)>")]
        case .data:
            if acceptedRecipients == 0 {
                expected = []
                return finishJob() + reset()
            }
            return [.send("DATA")]
        case .mail, .rset: return []
        }
    }

    /// RSET after a transaction that did not complete, then the next job.
    private mutating func reset() -> [Action] {
        expected = [.rset]
        return [.send("RSET")]
    }

    private var mailRefused = false

    private func isAccepted(_ outcome: Outcome) -> Bool {
        if case .delivered = outcome { return true }
        return false
    }

    private func outcome(_ reply: SMTPReply) -> Outcome {
        reply.code < 500 ? .deferred(reply.text, enhanced: reply.enhancedCode ?? "4.0.0") : .failed(reply)
    }

    private mutating func finishJob() -> [Action] {
        let job = jobs[current]
        var result: [Int: Outcome] = [:]
        for r in job.recipients { result[r.rid] = outcomes[r.rid] ?? .deferred("no answer", enhanced: "4.4.2") }
        outcomes = [:]
        return [.jobFinished(job: current, outcomes: result)]
    }

    private mutating func nextJobOrQuit() -> [Action] {
        current += 1
        return startJob()
    }

    mutating func quit() -> [Action] {
        state = .quitting
        return [.send("QUIT")]
    }

    private mutating func failAll(_ reply: SMTPReply, _ stage: String) -> [Action] {
        let out = outcome(reply)
        var actions: [Action] = []
        for index in current..<jobs.count {
            var result: [Int: Outcome] = [:]
            for r in jobs[index].recipients { result[r.rid] = out }
            actions.append(.jobFinished(job: index, outcomes: result))
        }
        current = jobs.count
        state = .quitting
        return actions + [.send("QUIT")]
    }

    private mutating func deferAll(_ reason: String, enhanced: String, close: Bool = true) -> [Action] {
        var actions: [Action] = []
        for index in current..<jobs.count {
            var result: [Int: Outcome] = [:]
            for r in jobs[index].recipients { result[r.rid] = .deferred(reason, enhanced: enhanced) }
            actions.append(.jobFinished(job: index, outcomes: result))
        }
        current = jobs.count
        state = .closed
        return actions + (close ? [.close] : [])
    }

    private mutating func requiredTLSMissing(_ reason: String, quit sendQuit: Bool = true) -> [Action] {
        var actions: [Action] = [.tlsRequiredFailed(reason)]
        for index in current..<jobs.count {
            var result: [Int: Outcome] = [:]
            for r in jobs[index].recipients {
                result[r.rid] = .deferred("TLS was required but could not be successfully negotiated (\(reason))",
                                          enhanced: "4.7.0")
            }
            actions.append(.jobFinished(job: index, outcomes: result))
        }
        current = jobs.count
        if sendQuit {
            state = .quitting
            return actions + [.send("QUIT")]
        }
        state = .closed
        return actions + [.close]
    }
}

extension SMTPReply {
    /// The RFC 3463 code at the start of the text (`5.1.1`), if there is one.
    public var enhancedCode: String? {
        // AsyncOS writes `#5.1.0`; RFC 2034 writes `5.1.0`.
        guard var first = lines.first?.split(separator: " ").first else { return nil }
        if first.hasPrefix("#") { first = first.dropFirst() }
        let parts = first.split(separator: ".")
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }),
            ["2", "4", "5"].contains(parts[0])
        else { return nil }
        return String(first)
    }

    /// The reply's text on one line.
    public var text: String { "\(code) " + lines.joined(separator: " ") }
}
