import Foundation
import PosternConfig
import PosternPolicy
import Testing
@testable import PosternSMTPCore

private func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

/// A session on a listener with an AUTH profile, failures counted on a clock the test moves.
private func authDriver(auth level: AuthLevel = .preferred, tls: TLSLevel = .no, requireTLS: Bool = false,
                        behavior: Behavior = .accept, limits: SMTPAuthConfiguration = SMTPAuthConfiguration(),
                        failures: AuthFailureLimiter = AuthFailureLimiter(clock: { 0 })) -> Driver {
    Driver(tls: tls, behavior: behavior,
           auth: SMTPSession.AuthContext(profile: "corp", limits: limits, failures: failures)) {
        $0.smtpAuth = level
        $0.requireTLSForAuth = requireTLS
    }
}

@Suite struct AuthExchangeTests {
    @Test func plainWithAnInitialResponse() {
        let (exchange, step) = SMTPAuthExchange.start(argument: "PLAIN " + b64("\0alice\0s3cret"))
        #expect(exchange == nil)
        #expect(step == .verify(SMTPCredentials(user: "alice", password: "s3cret", mechanism: .plain)))
    }

    @Test func plainAfterAnEmptyChallenge() {
        var (exchange, step) = SMTPAuthExchange.start(argument: "plain")
        #expect(step == .challenge(SMTPReply(334, "")))
        #expect(exchange!.respond(b64("alice\0alice\0pw")) == .verify(SMTPCredentials(user: "alice", password: "pw",
                                                                                      mechanism: .plain)))
        (exchange, step) = SMTPAuthExchange.start(argument: "PLAIN")
        #expect(exchange!.respond(b64("bob\0alice\0pw")) == .invalid(user: "alice", mechanism: .plain))
    }

    @Test func loginAsksForUserThenPassword() {
        var (exchange, step) = SMTPAuthExchange.start(argument: "LOGIN")
        #expect(step == .challenge(SMTPReply(334, "VXNlcm5hbWU6")))
        #expect(exchange!.respond(b64("alice")) == .challenge(SMTPReply(334, "UGFzc3dvcmQ6")))
        #expect(exchange!.respond(b64("pw")) == .verify(SMTPCredentials(user: "alice", password: "pw", mechanism: .login)))
        (exchange, step) = SMTPAuthExchange.start(argument: "LOGIN " + b64("carol"))
        #expect(step == .challenge(SMTPReply(334, "UGFzc3dvcmQ6")))
    }

    @Test(arguments: [
        ("star cancels", "*", Replies.authCancelled),
        ("not base64", "%%%", Replies.authBadBase64),
        ("PLAIN without two NULs", b64("alice pw"), Replies.authBadBase64),
    ])
    func badResponses(_ label: String, _ line: String, _ reply: SMTPReply) {
        var (exchange, _) = SMTPAuthExchange.start(argument: "PLAIN")
        #expect(exchange!.respond(line) == .error(reply), "\(label)")
    }

    @Test func unknownMechanismAndEmptyCredentials() {
        #expect(SMTPAuthExchange.start(argument: "CRAM-MD5").1 == .error(Replies.authMechanismUnknown))
        #expect(SMTPAuthExchange.start(argument: "").1 == .error(Replies.syntax))
        // An empty password would be an LDAP unauthenticated bind, which succeeds.
        #expect(SMTPAuthExchange.start(argument: "PLAIN " + b64("\0alice\0")).1 == .invalid(user: "alice",
                                                                                           mechanism: .plain))
        #expect(SMTPAuthExchange.start(argument: "PLAIN =").1 == .error(Replies.authBadBase64))
        let long = String(repeating: "u", count: SMTPCredentials.maxUserBytes + 1)
        #expect(SMTPAuthExchange.start(argument: "PLAIN " + b64("\0\(long)\0pw")).1 == .invalid(user: long,
                                                                                               mechanism: .plain))
    }

    @Test func credentialsNeverDescribeThePassword() {
        let c = SMTPCredentials(user: "alice", password: "hunter2", mechanism: .plain)
        #expect(!"\(c)".contains("hunter2"))
        #expect(!String(reflecting: c).contains("hunter2"))
        #expect(!"\(SMTPSession.Action.authenticate(c))".contains("hunter2"))
    }
}

@Suite struct SessionAuthTests {
    @Test func advertisedOnlyWithAProfileAndAPolicyThatAllowsIt() {
        var d = authDriver()
        d.send("EHLO x")
        #expect(d.last.lines.contains("AUTH LOGIN PLAIN"))
        var off = authDriver(auth: .no)
        off.send("EHLO x")
        #expect(!off.last.lines.contains { $0.hasPrefix("AUTH") })
        #expect(off.send("AUTH PLAIN " + b64("\0a\0b")) == [502])
        var noProfile = Driver { $0.smtpAuth = .preferred }
        noProfile.send("EHLO x")
        #expect(!noProfile.last.lines.contains { $0.hasPrefix("AUTH") })
    }

    @Test func requireTLSHidesAuthUntilTLS() {
        var d = authDriver(tls: .preferred, requireTLS: true)
        d.send("EHLO x")
        #expect(!d.last.lines.contains { $0.hasPrefix("AUTH") })
        #expect(d.send("AUTH PLAIN " + b64("\0a\0b")) == [538])
        #expect(d.authenticating == nil)
        #expect(d.send("STARTTLS") == [220])
        d.apply(d.session.tlsEstablished(.init(protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")))
        d.send("EHLO x")
        #expect(d.last.lines.contains("AUTH LOGIN PLAIN"))
        #expect(d.send("AUTH PLAIN " + b64("\0a\0b")) == [])
        #expect(d.authenticating?.user == "a")
    }

    @Test func successLogsTheUserAndRelays() {
        var d = authDriver(auth: .required)
        d.send("EHLO x")
        #expect(d.send("MAIL FROM:<a@b>") == [530])
        #expect(d.last == Replies.authRequired)
        #expect(d.send("AUTH LOGIN") == [334])
        #expect(d.send(b64("alice")) == [334])
        #expect(d.send(b64("pw")) == [])
        #expect(!d.session.acceptsInput)
        d.apply(d.session.authCompleted(.accepted))
        #expect(d.last == Replies.authSucceeded)
        #expect(d.logs.last == "SMTP Auth: (ICID 7) succeeded for user: alice using AUTH mechanism: LOGIN with profile: corp")
        #expect(!d.logs.joined().contains("pw\u{20}"))
        #expect(d.send("AUTH PLAIN " + b64("\0a\0b")) == [503])
        #expect(d.send("MAIL FROM:<a@b>") == [250])
        // The factory RAT accepts nothing but its own domains; an authenticated client relays.
        #expect(d.send("RCPT TO:<someone@elsewhere.example>") == [250])
    }

    @Test func withoutAuthTheRATStillDecides() {
        var d = authDriver()
        d.send("EHLO x")
        d.send("MAIL FROM:<a@b>")
        #expect(d.send("RCPT TO:<someone@elsewhere.example>") == [550])
    }

    @Test func failuresWaitLongerThenDisconnect() {
        let failures = AuthFailureLimiter(clock: { 0 })
        let limits = SMTPAuthConfiguration(maxFailures: 3, failureDelayMilliseconds: 100, maxFailureDelayMilliseconds: 150)
        var d = authDriver(limits: limits, failures: failures)
        d.send("EHLO x")
        for expected in [100, 150] {
            d.send("AUTH PLAIN " + b64("\0alice\0wrong"))
            d.apply(d.session.authCompleted(.rejected))
            #expect(d.pauses.last == expected)
            #expect(!d.session.acceptsInput)
            d.apply(d.session.authPenaltyServed())
            #expect(d.last == Replies.authInvalid)
        }
        #expect(d.logs.last == "SMTP Auth: (ICID 7) failed for user: alice using AUTH mechanism: PLAIN with profile: corp")
        d.send("AUTH PLAIN " + b64("\0alice\0wrong"))
        d.apply(d.session.authCompleted(.rejected))
        d.apply(d.session.authPenaltyServed())
        #expect(d.last == Replies.authTooManyFailures)
        #expect(d.closed)
        // The address stays locked out in a new session.
        var again = authDriver(limits: limits, failures: failures)
        again.send("EHLO x")
        #expect(again.send("AUTH PLAIN " + b64("\0alice\0right")) == [421])
        #expect(again.authenticating == nil)
    }

    /// A client that knows one password (its own account) must not reset the count by
    /// authenticating between guesses at other users' passwords.
    @Test func aSuccessDoesNotWipeTheFailuresBeforeIt() {
        let failures = AuthFailureLimiter(clock: { 0 })
        let limits = SMTPAuthConfiguration(maxFailures: 3, failureDelayMilliseconds: 1, maxFailureDelayMilliseconds: 1)
        /// One session's AUTH as `user`, answered by the checker with `outcome`; the reply.
        func attempt(_ user: String, _ outcome: SMTPSession.AuthOutcome) -> SMTPReply? {
            var d = authDriver(limits: limits, failures: failures)
            d.send("EHLO x")
            d.send("AUTH PLAIN " + b64("\0\(user)\0pw"))
            d.apply(d.session.authCompleted(outcome))
            if outcome == .rejected { d.apply(d.session.authPenaltyServed()) }
            return d.last
        }
        for _ in 0..<2 {
            #expect(attempt("victim", .rejected) == Replies.authInvalid)
            #expect(attempt("mallory", .accepted) == Replies.authSucceeded)
        }
        #expect(attempt("victim", .rejected) == Replies.authTooManyFailures)
    }

    @Test func theDirectoryDownIsATemporaryFailureNotAFailedAttempt() {
        let failures = AuthFailureLimiter(clock: { 0 })
        var d = authDriver(failures: failures)
        d.send("EHLO x")
        d.send("AUTH PLAIN " + b64("\0alice\0pw"))
        d.apply(d.session.authCompleted(.unavailable(reason: "Can't contact LDAP server (-1)")))
        #expect(d.last == Replies.authTemporaryFailure)
        #expect(failures.trackedAddresses == 0)
        #expect(d.send("NOOP") == [250])
    }

    @Test func cancelAndBadBase64End() {
        var d = authDriver()
        d.send("EHLO x")
        #expect(d.send("AUTH LOGIN") == [334])
        #expect(d.send("*") == [501])
        #expect(d.send("AUTH PLAIN") == [334])
        #expect(d.send("!!!") == [501])
        #expect(d.send("NOOP") == [250])
        #expect(d.send("AUTH PLAIN") == [334])
        #expect(d.send("QUIT") == [501])  // a response line is never read as a command
        #expect(d.send("AUTH LOGIN") == [334])
        d.apply(d.session.lineTooLong())
        #expect(d.last == Replies.authLineTooLong)
        #expect(d.send("NOOP") == [250])  // the exchange is over
    }

    /// Under TLS Required a client must not be invited to send its credentials in the clear
    /// (an initial response carries them with the AUTH command itself), even with "Require
    /// TLS to offer SMTP authentication" off: as Postfix's enforced TLS implies tls_auth_only.
    @Test(arguments: [TLSLevel.required, .requiredVerify])
    func requiredTLSHidesAuthUntilTLS(_ level: TLSLevel) {
        var d = authDriver(tls: level, requireTLS: false)
        d.send("EHLO x")
        #expect(!d.last.lines.contains { $0.hasPrefix("AUTH") })
        #expect(d.send("STARTTLS") == [220])
        d.apply(d.session.tlsEstablished(.init(protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384",
                                               clientCertificateSubject: "CN=c", clientCertificateVerified: true)))
        d.send("EHLO x")
        #expect(d.last.lines.contains("AUTH LOGIN PLAIN"))
    }

    @Test func authBeforeEhloAndInsideATransaction() {
        var d = authDriver()
        #expect(d.send("AUTH PLAIN " + b64("\0a\0b")) == [503])
        d.send("HELO x")
        #expect(d.send("AUTH PLAIN " + b64("\0a\0b")) == [503])
        d.send("EHLO x")
        d.send("MAIL FROM:<a@b>")
        #expect(d.send("AUTH PLAIN " + b64("\0a\0b")) == [503])
    }

    @Test func starttlsForgetsTheAuthentication() {
        var d = authDriver(tls: .preferred)
        d.send("EHLO x")
        d.send("AUTH PLAIN " + b64("\0alice\0pw"))
        d.apply(d.session.authCompleted(.accepted))
        d.send("STARTTLS")
        d.apply(d.session.tlsEstablished(.init(protocolVersion: "TLSv1.3", cipher: "x")))
        #expect(d.session.authenticatedUser == nil)
    }

    @Test func logLinesCannotBeForgedThroughTheUserName() {
        var d = authDriver()
        d.send("EHLO x")
        d.send("AUTH PLAIN " + b64("\0evil\r\nICID 1 close\0pw"))
        d.apply(d.session.authPenaltyServed())
        #expect(d.logs.count == 1)
        #expect(!d.logs[0].contains("\n"))
        #expect(d.logs[0].contains("evil\\xd\\xaICID 1 close"))
    }
}

@Suite struct AuthFailureLimiterTests {
    @Test func failuresAreForgottenAfterTheWindow() {
        final class Clock: @unchecked Sendable { var now = 0.0 }
        let clock = Clock()
        let limiter = AuthFailureLimiter(clock: { clock.now })
        let limits = SMTPAuthConfiguration(maxFailures: 2, failureWindowSeconds: 60)
        let a = IPAddress("192.0.2.1")!
        #expect(limiter.recordFailure(a, limits: limits) == .init(delayMilliseconds: 1000, lockedOut: false))
        #expect(limiter.recordFailure(a, limits: limits) == .init(delayMilliseconds: 2000, lockedOut: true))
        #expect(limiter.isLockedOut(a, limits: limits))
        #expect(!limiter.isLockedOut(IPAddress("192.0.2.2")!, limits: limits))
        clock.now = 61
        #expect(!limiter.isLockedOut(a, limits: limits))
        #expect(limiter.trackedAddresses == 0)
    }

    /// An IPv6 client holds a whole /64 or more: its addresses count together, per /84 as
    /// Postfix's anvil does (smtpd_client_ipv6_prefix_length), else every guess could come
    /// from a fresh address.
    @Test func ipv6FailuresCountPerPrefixNotPerAddress() {
        let limiter = AuthFailureLimiter(clock: { 0 })
        let limits = SMTPAuthConfiguration(maxFailures: 3, failureWindowSeconds: 60)
        for last in ["1", "2", "ffff"] { _ = limiter.recordFailure(IPAddress("2001:db8::\(last)")!, limits: limits) }
        #expect(limiter.isLockedOut(IPAddress("2001:db8::abcd")!, limits: limits))
        #expect(limiter.isLockedOut(IPAddress("2001:db8::fff:ffff:ffff")!, limits: limits))
        #expect(!limiter.isLockedOut(IPAddress("2001:db8::1000:0:0:1")!, limits: limits))
        #expect(!limiter.isLockedOut(IPAddress("2001:db8:0:1::1")!, limits: limits))
        // IPv4 stays per address.
        for _ in 0..<3 { _ = limiter.recordFailure(IPAddress("192.0.2.1")!, limits: limits) }
        #expect(limiter.isLockedOut(IPAddress("192.0.2.1")!, limits: limits))
        #expect(!limiter.isLockedOut(IPAddress("192.0.2.2")!, limits: limits))
    }
}
