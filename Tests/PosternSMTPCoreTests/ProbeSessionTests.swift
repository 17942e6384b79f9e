import Testing
@testable import PosternSMTPCore

/// The client session as `posternd --probe` drives it: MAIL and RCPT answered, DATA never sent.
@Suite struct ProbeSessionTests {
    static func driver(tls: SMTPClientSession.TLSLevelPolicy) -> ClientDriver {
        var d = ClientDriver(tls: tls, recipients: ["postmaster@x.example"])
        d.session = SMTPClientSession(heloName: "mx.test", tls: tls, jobs: [
            SMTPClientSession.Job(mid: 0, sender: "probe@mx.test", recipients: [.init(rid: 0, address: "postmaster@x.example")],
                                  size: 0, body8Bit: false),
        ], stopBeforeData: true)
        return d
    }

    @Test func pipelinedProbeStopsAfterRCPT() {
        var d = ProbeSessionTests.driver(tls: .no)
        d.reply(220, "mx ESMTP")
        d.reply(250, "mx", "PIPELINING", "STARTTLS")
        #expect(d.session.startTLSOffered)
        #expect(d.sent.suffix(2) == ["MAIL FROM:<probe@mx.test>", "RCPT TO:<postmaster@x.example>"])
        d.reply(250, "ok")
        d.reply(250, "recipient ok")
        #expect(!d.sent.contains("DATA"))
        #expect(d.sent.last == "RSET")
        #expect(d.finished[0]?[0] == .delivered(SMTPReply(250, "recipient ok")))
        d.reply(250, "reset")
        #expect(d.sent.last == "QUIT")
    }

    @Test func unpipelinedProbeRecordsThe530BeforeSTARTTLS() {
        var d = ProbeSessionTests.driver(tls: .no)
        d.reply(220, "mx ESMTP")
        d.reply(250, "mx", "STARTTLS")
        #expect(d.sent.last == "MAIL FROM:<probe@mx.test>")
        d.reply(530, "5.7.0 Must issue a STARTTLS command first")
        #expect(d.finished[0]?[0] == .failed(SMTPReply(530, "5.7.0 Must issue a STARTTLS command first")))
        #expect(!d.sent.contains("DATA"))
        #expect(d.sent.last == "RSET")
    }

    @Test func pipelinedRefusedMAILWaitsForTheRCPTReply() {
        var d = ProbeSessionTests.driver(tls: .no)
        d.reply(220, "mx ESMTP")
        d.reply(250, "mx", "PIPELINING")
        #expect(!d.session.startTLSOffered)
        d.reply(530, "5.7.0 Must issue a STARTTLS command first")
        #expect(d.finished[0] == nil)
        d.reply(503, "5.5.1 need MAIL first")
        #expect(d.finished[0]?[0] == .failed(SMTPReply(530, "5.7.0 Must issue a STARTTLS command first")))
        #expect(d.sent.last == "RSET")
        #expect(!d.sent.contains("DATA"))
    }

    @Test func startTLSOfferedIsTheFirstEHLOsAnswer() {
        var d = ProbeSessionTests.driver(tls: .preferred)
        d.reply(220, "mx ESMTP")
        d.reply(250, "mx", "STARTTLS")
        d.reply(220, "go ahead")
        #expect(d.startedTLS)
        d.apply(d.session.tlsEstablished(verified: true, reason: ""))
        d.reply(250, "mx", "PIPELINING")  // after TLS, STARTTLS is (rightly) no longer listed
        #expect(d.session.startTLSOffered)
    }
}
