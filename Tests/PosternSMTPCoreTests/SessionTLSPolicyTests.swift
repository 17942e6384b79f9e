import PosternConfig
import Testing
@testable import PosternSMTPCore

/// The session checks every handshake, full or resumed, against the client certificate its
/// policy demands (issue 12 §1): a resumed TLS session brings no certificate of its own.
@Suite struct SessionTLSPolicyTests {
    static let noCertificate = SMTPSession.TLSInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384")
    static let verified = SMTPSession.TLSInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384",
                                              clientCertificateSubject: "CN=mx.partner.example",
                                              clientCertificateVerified: true)
    static let unverified = SMTPSession.TLSInfo(protocolVersion: "TLSv1.2", cipher: "ECDHE-RSA-AES128-GCM-SHA256",
                                                clientCertificateSubject: "CN=stranger.example",
                                                clientCertificateVerified: false)

    /// STARTTLS under `level`, then the handshake reports `info`.
    static func handshake(_ level: TLSLevel, _ info: SMTPSession.TLSInfo) -> Driver {
        var d = Driver(tls: level)
        d.send("EHLO client.example")
        #expect(d.send("STARTTLS") == [220])
        d.apply(d.session.tlsEstablished(info))
        return d
    }

    @Test func requiredVerifyRefusesASessionWithoutACertificate() {
        var d = SessionTLSPolicyTests.handshake(.requiredVerify, SessionTLSPolicyTests.noCertificate)
        #expect(d.closed)
        #expect(d.session.state == .closed)
        #expect(d.logs.last == "ICID 7 TLS failed: peer did not return a certificate")
        #expect(!d.logs.contains { $0.contains("TLS success") })
        #expect(d.send("MAIL FROM:<a@b.example>") == [])
    }

    @Test func requiredVerifyRefusesAnUnverifiedCertificate() {
        let d = SessionTLSPolicyTests.handshake(.requiredVerify, SessionTLSPolicyTests.unverified)
        #expect(d.closed)
        #expect(d.logs.last == "ICID 7 TLS failed: the client certificate did not verify")
    }

    @Test func requiredVerifyAcceptsAVerifiedCertificate() {
        var d = SessionTLSPolicyTests.handshake(.requiredVerify, SessionTLSPolicyTests.verified)
        #expect(!d.closed)
        #expect(d.logs.contains("ICID 7 TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384"))
        #expect(d.send("EHLO client.example") == [250])
        #expect(d.send("MAIL FROM:<a@b.example>") == [250])
    }

    @Test func preferredVerifyAllowsNoCertificateButNotABadOne() {
        var none = SessionTLSPolicyTests.handshake(.preferredVerify, SessionTLSPolicyTests.noCertificate)
        #expect(!none.closed)
        #expect(none.send("EHLO client.example") == [250])
        let bad = SessionTLSPolicyTests.handshake(.preferredVerify, SessionTLSPolicyTests.unverified)
        #expect(bad.closed)
        #expect(bad.logs.last == "ICID 7 TLS failed: the client certificate did not verify")
    }

    @Test(arguments: [TLSLevel.preferred, .required])
    func levelsWithoutVerifyIgnoreCertificates(level: TLSLevel) {
        for info in [SessionTLSPolicyTests.noCertificate, SessionTLSPolicyTests.unverified] {
            var d = SessionTLSPolicyTests.handshake(level, info)
            #expect(!d.closed)
            #expect(d.send("EHLO client.example") == [250])
        }
    }
}
