import Foundation
import Testing
@testable import PosternSMTPCore

/// The client state machine driven by a scripted server.
struct ClientDriver {
    var session: SMTPClientSession
    var sent: [String] = []
    var finished: [Int: [Int: SMTPClientSession.Outcome]] = [:]
    var startedTLS = false
    var tlsFailure: String?
    var closed = false
    var auth: SMTPSession.AuthOutcome?

    init(forwarding credentials: SMTPCredentials, tls: SMTPClientSession.TLSLevelPolicy) {
        session = SMTPClientSession(heloName: "mx.test", tls: tls, jobs: [], auth: credentials)
    }

    init(tls: SMTPClientSession.TLSLevelPolicy = .no, recipients: [String] = ["a@x.example", "b@x.example"]) {
        let job = SMTPClientSession.Job(mid: 9, sender: "s@y.example",
                                        recipients: recipients.enumerated().map { .init(rid: $0.offset, address: $0.element) },
                                        size: 100, body8Bit: false)
        session = SMTPClientSession(heloName: "mx.test", tls: tls, jobs: [job])
    }

    mutating func apply(_ actions: [SMTPClientSession.Action]) {
        for action in actions {
            switch action {
            case .send(let line): sent.append(line)
            case .startTLS: startedTLS = true
            case .sendBody(let job): sent.append("<body \(job)>")
            case .jobStarted: break
            case .jobFinished(let job, let outcomes): finished[job] = outcomes
            case .tlsRequiredFailed(let reason): tlsFailure = reason
            case .authFinished(let outcome): auth = outcome
            case .close: closed = true
            }
        }
    }

    mutating func reply(_ code: Int, _ lines: String...) {
        apply(session.receive(SMTPReply(code, lines.isEmpty ? [""] : lines)))
    }
}

@Suite struct ClientSessionTests {
    @Test func pipelinedDeliveryWithOneRecipientRefused() {
        var d = ClientDriver()
        d.reply(220, "mx ESMTP")
        #expect(d.sent == ["EHLO mx.test"])
        d.reply(250, "mx", "PIPELINING", "SIZE 1000")
        #expect(d.sent.suffix(4) == ["MAIL FROM:<s@y.example> SIZE=100", "RCPT TO:<a@x.example>", "RCPT TO:<b@x.example>", "DATA"])
        d.reply(250, "ok")
        d.reply(250, "ok")
        d.reply(550, "5.1.1 no such user")
        d.reply(354, "go")
        #expect(d.sent.last == "<body 0>")
        d.reply(250, "2.0.0 queued")
        #expect(d.finished[0]?[0] == .delivered(SMTPReply(250, "2.0.0 queued")))
        #expect(d.finished[0]?[1] == .failed(SMTPReply(550, "5.1.1 no such user")))
        #expect(d.sent.last == "QUIT")
        d.reply(221, "bye")
        #expect(d.closed)
    }

    @Test func withoutPipeliningOneCommandAtATime() {
        var d = ClientDriver(recipients: ["a@x.example"])
        d.reply(220)
        d.reply(250, "mx")
        #expect(d.sent.last == "MAIL FROM:<s@y.example>")
        d.reply(250)
        #expect(d.sent.last == "RCPT TO:<a@x.example>")
        d.reply(451, "4.3.0 try later")
        #expect(d.sent.last == "RSET")
        #expect(d.finished[0]?[0] == .deferred("451 4.3.0 try later", enhanced: "4.3.0"))
        d.reply(250)
        #expect(d.sent.last == "QUIT")
    }

    @Test func preferredUsesTLSWhenOfferedAndFallsBackWhenRefusedBefore220() {
        var tls = ClientDriver(tls: .preferred)
        tls.reply(220)
        tls.reply(250, "mx", "STARTTLS")
        #expect(tls.sent.last == "STARTTLS")
        tls.reply(220, "go ahead")
        #expect(tls.startedTLS)
        tls.apply(tls.session.tlsEstablished(verified: true, reason: ""))
        #expect(tls.sent.last == "EHLO mx.test")

        var refused = ClientDriver(tls: .preferred)
        refused.reply(220)
        refused.reply(250, "mx", "STARTTLS")
        refused.reply(454, "4.7.0 not now")
        #expect(refused.sent.last == "MAIL FROM:<s@y.example>")  // in the clear
    }

    @Test func requiredNeverSendsInTheClear() {
        var d = ClientDriver(tls: .required)
        d.reply(220)
        d.reply(250, "mx")  // no STARTTLS offered
        #expect(d.tlsFailure == "the receiving server does not offer STARTTLS")
        #expect(!d.sent.contains { $0.hasPrefix("MAIL") })
        #expect(d.sent.last == "QUIT")
        if case .deferred(let reason, "4.7.0")? = d.finished[0]?[0] {
            #expect(reason.contains("TLS was required"))
        } else {
            Issue.record("expected a deferral")
        }
    }

    @Test func aHandshakeFailureAfter220IsNotFollowedByPlaintext() {
        var d = ClientDriver(tls: .preferred)
        d.reply(220)
        d.reply(250, "mx", "STARTTLS")
        d.reply(220)
        d.apply(d.session.tlsFailed("no shared cipher"))
        #expect(!d.sent.contains { $0.hasPrefix("MAIL") })
        #expect(d.closed)
    }

    @Test func requiredVerifyRefusesAnUnverifiedCertificate() {
        var d = ClientDriver(tls: .requiredVerify)
        d.reply(220)
        d.reply(250, "mx", "STARTTLS")
        d.reply(220)
        d.apply(d.session.tlsEstablished(verified: false, reason: "self-signed certificate"))
        #expect(d.tlsFailure?.contains("self-signed certificate") == true)
        #expect(!d.sent.contains { $0.hasPrefix("MAIL") })
        #expect(d.sent.last == "QUIT")
    }

    @Test func aGreetingRefusalAndALostConnectionDefer() {
        var refused = ClientDriver()
        refused.reply(554, "go away")
        #expect(refused.finished[0]?[0] == .failed(SMTPReply(554, "go away")))
        var lost = ClientDriver()
        lost.reply(220)
        lost.apply(lost.session.connectionLost("reset"))
        #expect(lost.finished[0]?[1] == .deferred("reset", enhanced: "4.4.2"))
    }

    @Test func replyParserAndEnhancedCodes() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.feed("250-mx") == nil)
        #expect(try parser.feed("250 SIZE 10") == SMTPReply(250, ["mx", "SIZE 10"]))
        #expect(throws: SMTPReplyParser.ParseError.self) { try parser.feed("hello") }
        #expect(SMTPReply(550, "#5.1.0 Address rejected").enhancedCode == "5.1.0")
        #expect(SMTPReply(250, "ok").enhancedCode == nil)
    }

    @Test func dotStuffing() {
        let wire = String(decoding: DotStuffing.encode(Array("a\n.b\r\n..c\r\nend".utf8)), as: UTF8.self)
        #expect(wire == "a\r\n..b\r\n...c\r\nend\r\n.\r\n")
    }

    @Test func bounceMessageShape() {
        let dsn = DeliveryStatusNotification(
            reportingMTA: "mx.test", originalSender: "s@y.example", originalMID: 4, arrival: Date(timeIntervalSince1970: 0),
            recipients: [.init(address: "b@x.example", status: "5.1.1", diagnostic: "550 5.1.1 no such user",
                               remoteMTA: "x.example")],
            originalHeaders: "Subject: hi\r\nFrom: s@y.example\r\n")
        let text = dsn.render(now: Date(timeIntervalSince1970: 60), messageID: "<m@mx.test>")
        #expect(text.contains("Content-Type: multipart/report; report-type=delivery-status;"))
        #expect(text.contains("Final-Recipient: rfc822; b@x.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"))
        #expect(text.contains("Content-Type: text/rfc822-headers\r\n\r\nSubject: hi\r\nFrom: s@y.example\r\n"))
    }
}
