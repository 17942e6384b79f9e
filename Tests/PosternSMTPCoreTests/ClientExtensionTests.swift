import Testing
@testable import PosternSMTPCore

/// What the receiver's EHLO offered decides what delivery may send (issue 12 §5).
@Suite struct ClientExtensionTests {
    func driver(sender: String = "s@y.example", recipient: String = "a@x.example", body8Bit: Bool) -> ClientDriver {
        var d = ClientDriver()
        d.session = SMTPClientSession(heloName: "mx.test", tls: .no, jobs: [
            .init(mid: 9, sender: sender, recipients: [.init(rid: 0, address: recipient)], size: 100, body8Bit: body8Bit)])
        return d
    }

    @Test func eightBitDataGoesOnlyToReceiversOffering8BITMIME() {
        var offered = driver(body8Bit: true)
        offered.reply(220, "mx")
        offered.reply(250, "mx", "8BITMIME")
        #expect(offered.sent.last == "MAIL FROM:<s@y.example> BODY=8BITMIME")

        var plain = driver(body8Bit: true)
        plain.reply(220, "mx")
        plain.reply(250, "mx", "PIPELINING")
        #expect(!plain.sent.contains { $0.hasPrefix("MAIL") })
        #expect(plain.finished[0]?[0] == .failed(SMTPReply(554, "5.6.3 The message has 8-bit data and the receiving "
                                                              + "server does not offer 8BITMIME (RFC 6152)")))
        #expect(plain.sent.last == "QUIT")
    }

    @Test func sevenBitDataNeverClaims8BITMIME() {
        var d = driver(body8Bit: false)
        d.reply(220, "mx")
        d.reply(250, "mx", "8BITMIME")
        #expect(d.sent.last == "MAIL FROM:<s@y.example>")
    }

    @Test func heloReceiversGetNo8BitData() {
        var d = driver(body8Bit: true)
        d.reply(220, "mx")
        d.reply(502, "no EHLO")
        d.reply(250, "mx")
        guard case .failed(let reply)? = d.finished[0]?[0] else {
            Issue.record("8-bit data to a HELO-only receiver must bounce")
            return
        }
        #expect(reply.enhancedCode == "5.6.3")
    }

    @Test(arguments: [("s@y.example", "jörg@x.example"), ("søren@y.example", "a@x.example")])
    func nonASCIIAddressesNeedSMTPUTF8(sender: String, recipient: String) {
        var offered = driver(sender: sender, recipient: recipient, body8Bit: false)
        offered.reply(220, "mx")
        offered.reply(250, "mx", "8BITMIME", "SMTPUTF8")
        #expect(offered.sent.last == "MAIL FROM:<\(sender)> SMTPUTF8")

        var plain = driver(sender: sender, recipient: recipient, body8Bit: false)
        plain.reply(220, "mx")
        plain.reply(250, "mx", "8BITMIME")
        #expect(!plain.sent.contains { $0.hasPrefix("MAIL") })
        guard case .failed(let reply)? = plain.finished[0]?[0] else {
            Issue.record("a non-ASCII envelope to a receiver without SMTPUTF8 must bounce")
            return
        }
        #expect(reply.code == 553 && reply.enhancedCode == "5.6.7")
    }

    @Test func whatWasOfferedBeforeSTARTTLSIsForgotten() {
        var d = ClientDriver(tls: .preferred)
        d.session = SMTPClientSession(heloName: "mx.test", tls: .preferred, jobs: [
            .init(mid: 9, sender: "s@y.example", recipients: [.init(rid: 0, address: "a@x.example")], size: 100,
                  body8Bit: true)])
        d.reply(220, "mx")
        d.reply(250, "mx", "8BITMIME", "STARTTLS")
        d.reply(220, "go ahead")
        d.apply(d.session.tlsEstablished(verified: false, reason: ""))
        d.reply(250, "mx")
        #expect(!d.sent.contains { $0.hasPrefix("MAIL") })
        #expect(d.finished[0]?[0].map { if case .failed = $0 { true } else { false } } == true)
    }
}
