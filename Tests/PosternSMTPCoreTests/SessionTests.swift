import Foundation
import PosternConfig
import PosternPolicy
import PosternSpool
import Testing
@testable import PosternSMTPCore

/// A session driven directly: lines in, replies and logs out.
struct Driver {
    var session: SMTPSession
    var replies: [SMTPReply] = []
    var logs: [String] = []
    var closed = false
    var startedTLS: SMTPSession.ClientCertificatePolicy?
    var stored: Envelope?
    var authenticating: SMTPCredentials?
    var pauses: [Int] = []

    init(tls: TLSLevel = .no, behavior: Behavior = .accept, limiter: RecipientRateLimiter? = nil,
         tlsSlotFree: Bool? = nil, peer: String = "192.0.2.9", recipientAccess: RecipientAccessTable? = nil,
         listenerType: ListenerType = .public, midsAvailable: Bool = true, auth: SMTPSession.AuthContext? = nil,
         tlsMandatory: CompiledAddressList? = nil, configure: (inout PolicyParameters) -> Void = { _ in }) {
        var parameters = FactoryDefaults.defaultParameters
        parameters.tls = tls
        configure(&parameters)
        let match = HATMatch(group: "UNKNOWNLIST", entry: "sbrs[none]", policy: "ACCEPTED", behavior: behavior,
                             parameters: parameters)
        let rat = CompiledRecipientAccess(recipientAccess ?? FactoryDefaults.configuration.listeners[0].recipientAccess!)
        let context = SMTPSession.Context(
            icid: 7, hostname: "mx.test", listenerName: "InboundMail", listenerType: listenerType,
            peer: PeerFacts(address: IPAddress(peer)!), match: match, recipientAccess: rat, recipientLimiter: limiter,
            acquireTLSSlot: Driver.slot(tlsSlotFree), auth: auth, tlsMandatorySenders: tlsMandatory)
        let counter = Counter()
        session = SMTPSession(context: context, allocateMID: { midsAvailable ? counter.next() : nil },
                              now: { Date(timeIntervalSince1970: 0) })
        apply(session.start())
    }

    static func slot(_ free: Bool?) -> (@Sendable () -> Bool)? {
        guard let free else { return nil }
        return { free }
    }

    final class Counter: @unchecked Sendable {
        var value = 100
        func next() -> Int { value += 1; return value }
    }

    mutating func apply(_ actions: [SMTPSession.Action]) {
        for action in actions {
            switch action {
            case .reply(let r): replies.append(r)
            case .log(let e): logs.append(e.line)
            case .close: closed = true
            case .startTLS(let p): startedTLS = p
            case .store(let e): stored = e
            case .beginData: break
            case .authenticate(let c): authenticating = c
            case .pause(let ms): pauses.append(ms)
            }
        }
    }

    /// Sends a line and returns the codes of the replies it produced.
    @discardableResult
    mutating func send(_ line: String) -> [Int] {
        let before = replies.count
        apply(session.receive(line: line))
        return replies[before...].map(\.code)
    }

    var last: SMTPReply { replies.last! }

    /// HELO, MAIL, one RCPT, DATA and the final dot: the session then waits for the spool.
    mutating func messageUpToStoring() {
        send("HELO x")
        send("MAIL FROM:<a@b>")
        send("RCPT TO:<a@example.com>")
        send("DATA")
        apply(session.dataComplete(size: 5, oversize: false, headerLines: 0, messageID: nil, subject: nil))
    }
}

@Suite struct SessionTests {
    @Test func greetingEhloAndAMessage() {
        var d = Driver()
        #expect(d.replies == [SMTPReply(220, "mx.test ESMTP")])
        #expect(d.send("EHLO client.example") == [250])
        #expect(d.last.lines == ["mx.test", "8BITMIME", "SIZE 10485760", "PIPELINING", "ENHANCEDSTATUSCODES"])
        #expect(d.send("MAIL FROM:<a@b.example>") == [250])
        #expect(d.send("RCPT TO:<joe@example.com>") == [250])
        #expect(d.send("DATA") == [354])
        d.apply(d.session.dataComplete(size: 10, oversize: false, headerLines: 1, messageID: "<m@b>", subject: "hi"))
        #expect(d.stored?.mid == 101)
        #expect(d.stored?.recipients == ["joe@example.com"])
        d.apply(d.session.stored(true))
        #expect(d.last == Replies.accepted(mid: 101))
        #expect(d.logs == ["Start MID 101 ICID 7", "MID 101 ICID 7 From: <a@b.example>",
                           "MID 101 ICID 7 RID 0 To: <joe@example.com>", "MID 101 Message-ID '<m@b>'",
                           "MID 101 Subject 'hi'", "MID 101 ready 10 bytes from <a@b.example>",
                           "MID 101 queued for delivery"])
        #expect(d.send("QUIT") == [221])
        #expect(d.closed)
    }

    /// No MID could be reserved durably (issue 13 §3): the transaction is refused with a
    /// temporary error; nothing is started under an ID that might repeat.
    @Test func noReservableMessageIDRefusesTheTransactionTemporarily() {
        var d = Driver(midsAvailable: false)
        d.send("EHLO x")
        #expect(d.send("MAIL FROM:<a@b.example>") == [451])
        #expect(d.last == Replies.noMessageID)
        #expect(d.send("RCPT TO:<joe@example.com>") == [503])
        #expect(!d.logs.contains { $0.hasPrefix("Start MID") })
        #expect(d.send("QUIT") == [221])
    }

    @Test func aBlackholeListenerAcceptsAndKeepsNothing() {
        var d = Driver(listenerType: .blackhole)
        d.send("EHLO x")
        #expect(d.send("MAIL FROM:<a@b.example>") == [250])
        #expect(d.send("RCPT TO:<joe@example.com>") == [250])
        #expect(d.send("RCPT TO:<no@else.example>") == [550])  // its RAT still decides
        #expect(d.send("DATA") == [354])
        d.apply(d.session.dataComplete(size: 10, oversize: false, headerLines: 1, messageID: nil, subject: nil))
        #expect(d.stored == nil)
        #expect(d.last == Replies.accepted(mid: 101))
        #expect(d.logs.suffix(2) == ["MID 101 ready 10 bytes from <a@b.example>",
                                     "MID 101 discarded by a blackhole listener"])
        #expect(d.session.messagesAccepted == 1)
        #expect(d.send("MAIL FROM:<a@b.example>") == [250])
    }

    @Test func startTLSIsAdvertisedOnlyWhenThePolicyOffersIt() {
        var off = Driver(tls: .no)
        off.send("EHLO x")
        #expect(!off.last.lines.contains("STARTTLS"))
        #expect(off.send("STARTTLS") == [454])
        var on = Driver(tls: .preferred)
        on.send("EHLO x")
        #expect(on.last.lines.contains("STARTTLS"))
    }

    @Test func requiredTLSRefusesMailUntilStartTLSAndLogsOnce() {
        var d = Driver(tls: .required)
        #expect(d.send("EHLO x") == [250])
        #expect(d.send("MAIL FROM:<a@b.example>") == [530])
        #expect(d.last == Replies.mustStartTLS)
        #expect(d.send("HELO x") == [530])
        #expect(d.send("RSET") == [530])
        #expect(d.send("NOOP") == [250])
        #expect(d.logs == ["ICID 7 TLS was required but remote host did not initiate it"])
        #expect(d.send("STARTTLS") == [220])
        #expect(d.startedTLS == .notRequested)
        #expect(!d.session.acceptsInput)
        d.apply(d.session.tlsEstablished(.init(protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")))
        #expect(d.logs.last == "ICID 7 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384")
        // Everything from before TLS is forgotten: a new EHLO is needed, STARTTLS is gone.
        #expect(d.send("MAIL FROM:<a@b.example>") == [503])
        #expect(d.send("EHLO x") == [250])
        #expect(!d.last.lines.contains("STARTTLS"))
        #expect(d.send("STARTTLS") == [503])
        #expect(d.send("MAIL FROM:<a@b.example>") == [250])
    }

    @Test func aFullTLSLimitAnswersTheTemporaryReply() {
        var full = Driver(tls: .preferred, tlsSlotFree: false)
        full.send("EHLO x")
        #expect(full.send("STARTTLS") == [454])
        #expect(full.last == SMTPReply(454, "4.7.0 TLS not available due to temporary reason"))
        #expect(full.logs == ["ICID 7 TLS failed: the limit of concurrent TLS connections is reached"])
        #expect(full.startedTLS == nil)
        #expect(!full.session.holdsTLSSlot)
        // Preferred: the client may go on in plaintext.
        #expect(full.send("MAIL FROM:<a@b.example>") == [250])
        var free = Driver(tls: .preferred, tlsSlotFree: true)
        free.send("EHLO x")
        #expect(free.send("STARTTLS") == [220])
        #expect(free.startedTLS == .notRequested)
        #expect(free.session.holdsTLSSlot)
    }

    @Test func verifyLevelsAskForClientCertificates() {
        var preferred = Driver(tls: .preferredVerify)
        preferred.send("EHLO x")
        preferred.send("STARTTLS")
        #expect(preferred.startedTLS == .verifyIfPresented)
        var required = Driver(tls: .requiredVerify)
        required.send("EHLO x")
        #expect(required.send("MAIL FROM:<a@b>") == [530])
        required.send("STARTTLS")
        #expect(required.startedTLS == .required)
    }

    @Test func fiveBadCommandsDisconnect() {
        var d = Driver()
        for _ in 0..<4 { #expect(d.send("FROB") == [500]) }
        #expect(d.last == Replies.unrecognized)
        #expect(d.send("FROB") == [421])
        #expect(d.last == Replies.tooManyBadCommands)
        #expect(d.closed)
    }

    @Test func theRATRejectsUnknownDomains() {
        var d = Driver()
        d.send("HELO x")
        d.send("MAIL FROM:<a@b>")
        #expect(d.send("RCPT TO:<joe@elsewhere.example>") == [550])
        #expect(d.last == SMTPReply(550, "#5.1.0 Address rejected <joe@elsewhere.example>"))
        #expect(d.send("DATA") == [554])
    }

    /// The custom response of an Accept entry is what the sender gets (issue 14, section 5).
    @Test func anAcceptEntrysCustomResponseIsSent() throws {
        let table = RecipientAccessTable(entries: [
            RecipientAccessEntry(pattern: try RecipientPattern(parsing: "example.com"), action: .accept,
                                 response: SMTPResponse(code: 251, text: "forwarded to the archive")),
        ])
        var d = Driver(recipientAccess: table)
        d.send("HELO x")
        d.send("MAIL FROM:<a@b>")
        #expect(d.send("RCPT TO:<joe@example.com>") == [251])
        #expect(d.last == SMTPReply(251, "forwarded to the archive"))
        #expect(d.send("RCPT TO:<joe@elsewhere.example>") == [550])
    }

    @Test func relayingSenderGroupsSkipTheRAT() {
        var d = Driver(behavior: .relay)
        d.send("HELO x")
        d.send("MAIL FROM:<a@b>")
        #expect(d.send("RCPT TO:<joe@elsewhere.example>") == [250])
    }

    @Test func recipientAndMessageLimits() {
        var d = Driver { $0.maxRecipientsPerMessage = 2; $0.maxMessagesPerSession = 1; $0.maxMessageSize = 100 }
        d.send("HELO x")
        #expect(d.send("MAIL FROM:<a@b> SIZE=101") == [552])
        d.send("MAIL FROM:<a@b>")
        d.send("RCPT TO:<1@example.com>")
        d.send("RCPT TO:<2@example.com>")
        #expect(d.send("RCPT TO:<3@example.com>") == [452])
        d.send("DATA")
        d.apply(d.session.dataComplete(size: 101, oversize: true, headerLines: 0, messageID: nil, subject: nil))
        #expect(d.last == Replies.messageTooLarge)
        #expect(d.logs.last == "ICID 7 Receiving Failed: Message size exceeds limit")
        d.send("MAIL FROM:<a@b>")
        d.send("RCPT TO:<1@example.com>")
        d.send("DATA")
        d.apply(d.session.dataComplete(size: 5, oversize: false, headerLines: 0, messageID: nil, subject: nil))
        d.apply(d.session.stored(true))
        #expect(d.send("MAIL FROM:<a@b>") == [452])
    }

    @Test func sequenceErrors() {
        var d = Driver()
        #expect(d.send("MAIL FROM:<a@b>") == [503])
        d.send("EHLO x")
        #expect(d.send("RCPT TO:<a@example.com>") == [503])
        #expect(d.send("DATA") == [503])
        d.send("MAIL FROM:<a@b>")
        #expect(d.send("MAIL FROM:<a@b>") == [503])
        #expect(d.send("DATA") == [503])
        #expect(d.send("RSET") == [250])
        #expect(d.send("RCPT TO:<a@example.com>") == [503])
    }

    @Test func rejectedHostsGetTheRejectBannerAndOnlyQuit() {
        var d = Driver(behavior: .reject)
        #expect(d.replies == [Replies.rejectBanner("mx.test")])
        #expect(d.send("EHLO x") == [503])
        #expect(d.send("QUIT") == [221])
    }

    @Test func customBanner() {
        let d = Driver { $0.acceptResponse = SMTPResponse(code: 220, text: "Welcome\nNo UCE") }
        #expect(d.replies == [SMTPReply(220, ["mx.test Welcome", "No UCE"])])
    }

    @Test func aFailedSpoolWriteIsATemporaryError() {
        var d = Driver()
        d.messageUpToStoring()
        d.apply(d.session.stored(false))
        #expect(d.last.code == 451)
        #expect(d.session.messagesAccepted == 0)
    }

    @Test func timeouts() {
        var idle = Driver()
        idle.apply(idle.session.idleTimeout())
        #expect(idle.last == SMTPReply(421, "Timed out waiting for successful message injection, disconnecting."))
        #expect(idle.closed)
        var long = Driver()
        long.apply(long.session.connectionTimeLimit())
        #expect(long.last == SMTPReply(421, "Exceeded allowable connection time, disconnecting."))
    }

    @Test func receivedHeaderNamesTLS() {
        let envelope = Envelope(mid: 5, icid: 2, sender: "a@b", recipients: ["c@d"], heloName: "client.example",
                                clientAddress: "192.0.2.9", clientName: "unknown", listener: "InboundMail",
                                tlsProtocol: "TLSv1.3", tlsCipher: "TLS_AES_256_GCM_SHA384", body8Bit: false,
                                receivedAt: Date(timeIntervalSince1970: 0))
        #expect(envelope.receivedHeader(byHost: "mx.test", esmtp: true) == """
            Received: from client.example (unknown [192.0.2.9])\r
              by mx.test with ESMTPS (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)\r
              id 5\r
              for <c@d>; Thu, 01 Jan 1970 00:00:00 +0000\r

            """)
    }

    @Test func rfc5322DatesAgreeWithTheCalendar() {
        // 2026-11-29 09:05:03 UTC was a Sunday; 2024-02-29 23:59:59.9 UTC a Thursday.
        #expect(Envelope.rfc5322Date(Date(timeIntervalSince1970: 1_795_943_103)) == "Sun, 29 Nov 2026 09:05:03 +0000")
        #expect(Envelope.rfc5322Date(Date(timeIntervalSince1970: 1_709_251_199.9)) == "Thu, 29 Feb 2024 23:59:59 +0000")
    }
}

@Suite struct SessionRaceTests {
    /// The client went away while its message was being written: the write still counts,
    /// nothing is replied, nothing crashes.
    @Test func aClientGoneDuringTheSpoolWrite() {
        var d = Driver()
        d.messageUpToStoring()
        let replies = d.replies.count
        d.apply(d.session.connectionClosed())
        d.apply(d.session.stored(true))
        #expect(d.replies.count == replies)
        #expect(d.logs.last == "MID 101 queued for delivery")
    }

    @Test func aHandshakeFinishingAfterATimeout() {
        var d = Driver(tls: .preferred)
        d.send("EHLO x")
        d.send("STARTTLS")
        d.apply(d.session.idleTimeout())
        d.apply(d.session.tlsEstablished(.init(protocolVersion: "TLSv1.3", cipher: "x")))
        #expect(d.session.state == .closed)
    }
}
