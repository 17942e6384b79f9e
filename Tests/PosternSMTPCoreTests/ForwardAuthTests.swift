import Foundation
import Testing
@testable import PosternSMTPCore

/// A FORWARD profile's check: the client session sends AUTH PLAIN after EHLO (after STARTTLS
/// when TLS is required) and reports what the upstream server answered.
@Suite struct ForwardAuthTests {
    private let alice = SMTPCredentials(user: "alice", password: "pw", mechanism: .login)

    @Test func authAfterStartTLSThenQuit() {
        var d = ClientDriver(forwarding: alice, tls: .required)
        d.reply(220)
        d.reply(250, "up", "STARTTLS", "AUTH LOGIN PLAIN")
        #expect(d.sent.last == "STARTTLS")
        d.reply(220, "go ahead")
        d.apply(d.session.tlsEstablished(verified: false, reason: ""))
        #expect(d.sent.last == "EHLO mx.test")
        d.reply(250, "up", "AUTH PLAIN LOGIN")
        #expect(d.sent.last == "AUTH PLAIN " + Data("\0alice\0pw".utf8).base64EncodedString())
        d.reply(235, "2.7.0 ok")
        #expect(d.auth == .accepted)
        #expect(d.sent.last == "QUIT")
    }

    @Test(arguments: [(535, SMTPSession.AuthOutcome.rejected),
                      (454, .unavailable(reason: "the forwarding server answered 454 4.7.0 later"))])
    func theServersAnswer(_ code: Int, _ outcome: SMTPSession.AuthOutcome) {
        var d = ClientDriver(forwarding: alice, tls: .no)
        d.reply(220)
        d.reply(250, "up", "AUTH PLAIN")
        d.reply(code, code == 454 ? "4.7.0 later" : "5.7.8 no")
        #expect(d.auth == outcome)
    }

    @Test func noCredentialsLeaveWithoutTLSWhenItIsRequired() {
        var d = ClientDriver(forwarding: alice, tls: .required)
        d.reply(220)
        d.reply(250, "up", "AUTH PLAIN")
        #expect(d.tlsFailure != nil)
        #expect(d.auth == nil)
        #expect(!d.sent.contains { $0.hasPrefix("AUTH") })
    }

    @Test func aServerWithoutPlainIsUnavailable() {
        var d = ClientDriver(forwarding: alice, tls: .no)
        d.reply(220)
        d.reply(250, "up", "AUTH CRAM-MD5")
        #expect(d.auth == .unavailable(reason: "the forwarding server does not offer AUTH PLAIN"))
        #expect(d.sent.last == "QUIT")
    }
}
