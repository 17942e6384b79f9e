import Testing
@testable import PosternConfig

/// selftest's verdicts from what the probe connections met, without sockets.
@Suite struct SelfTestReportTests {
    static func plain(offered: Bool, _ exchanges: [(String, String)]) -> ProbeConnection {
        var c = ProbeConnection()
        c.startTLSOffered = offered
        c.exchangesInClear = exchanges.map { ProbeConnection.Exchange(command: $0.0, reply: $0.1) }
        return c
    }

    static func tls(afterTLS: [String] = ["PIPELINING"], failure: String? = nil) -> ProbeConnection {
        var c = ProbeConnection()
        c.startTLSOffered = true
        c.handshakeFailure = failure
        c.tlsProtocol = failure == nil ? "TLSv1.3" : nil
        c.ehloAfterTLS = failure == nil ? afterTLS : nil
        c.firstReplyAfterTLS = failure == nil ? "250 mx" : nil
        return c
    }

    @Test func a530ForEveryCommandButTheExemptOnes() {
        let good = SelfTestReportTests.plain(offered: true, [("EHLO a", "250 ok"), ("MAIL FROM:<a@b>", "530 go TLS"),
                                                             ("RCPT TO:<c@d>", "530 go TLS"), ("RSET", "530 go TLS"),
                                                             ("QUIT", "221 bye")])
        let checks = SelfTestReport.checks(level: .required, plain: good, tls: SelfTestReportTests.tls())
        #expect(checks.allSatisfy { $0.passed })
        let leaky = SelfTestReportTests.plain(offered: true, [("EHLO a", "250 ok"), ("MAIL FROM:<a@b>", "530 go TLS"),
                                                              ("RSET", "250 reset")])
        let failed = SelfTestReport.checks(level: .required, plain: leaky, tls: SelfTestReportTests.tls())
            .filter { !$0.passed }
        #expect(failed.map(\.detail) == ["RSET → 250 reset"])
        // Nothing answered at all is no pass.
        let silent = SelfTestReport.checks(level: .required, plain: SelfTestReportTests.plain(offered: true, []),
                                           tls: SelfTestReportTests.tls())
        #expect(silent.contains { !$0.passed && $0.detail == "no command was answered" })
    }

    @Test func starttlsOnlyWherePolicyAllowsAndNeverAfterTLS() {
        let offered = SelfTestReportTests.plain(offered: true, [])
        #expect(SelfTestReport.checks(level: .no, plain: offered, tls: SelfTestReportTests.tls())[0].passed == false)
        let again = SelfTestReport.checks(level: .preferred, plain: offered,
                                          tls: SelfTestReportTests.tls(afterTLS: ["PIPELINING", "STARTTLS"]))
        #expect(again.first { $0.clause == "RFC 3207 §4.2" }?.passed == false)
    }

    @Test func verifyLevelsWantTheClientWithoutACertificateRefused() {
        let offered = SelfTestReportTests.plain(offered: true, [("MAIL FROM:<a@b>", "530 x")])
        let refused = SelfTestReport.checks(level: .requiredVerify, plain: offered,
                                            tls: SelfTestReportTests.tls(failure: "peer did not return a certificate"))
        #expect(refused.last?.name == "Client without a certificate refused under -Verify" && refused.last?.passed == true)
        let letIn = SelfTestReport.checks(level: .requiredVerify, plain: offered, tls: SelfTestReportTests.tls())
        #expect(letIn.contains { $0.clause == "RFC 3207 §4.1" && !$0.passed })
        // A failed handshake where no certificate is asked for is a failure, not a refusal.
        let broken = SelfTestReport.checks(level: .preferred, plain: offered, tls: SelfTestReportTests.tls(failure: "alert"))
        #expect(broken.last?.name == "TLS handshake" && broken.last?.passed == false)
    }

    @Test func preferredVerifyLetsAClientWithoutACertificateIn() {
        // Preferred - Verify "still allows a non-TLS connection if the user doesn't have a
        // certificate" (asyncos-cli.md §3): a client without one must complete the handshake.
        let offered = SelfTestReportTests.plain(offered: true, [("MAIL FROM:<a@b>", "250 ok")])
        let refused = SelfTestReport.checks(level: .preferredVerify, plain: offered,
                                            tls: SelfTestReportTests.tls(failure: "peer did not return a certificate"))
        #expect(refused.last?.name == "TLS handshake" && refused.last?.passed == false)
        let letIn = SelfTestReport.checks(level: .preferredVerify, plain: offered, tls: SelfTestReportTests.tls())
        #expect(letIn.allSatisfy { $0.passed })
    }

    @Test func pipelinedCommandAnsweredInsideTLSFails() {
        var pipelined = SelfTestReportTests.tls()
        pipelined.firstReplyAfterTLS = "214 help"
        let checks = SelfTestReport.checks(level: .preferred, plain: SelfTestReportTests.plain(offered: true, []),
                                           tls: SelfTestReportTests.tls(), pipelined: pipelined)
        #expect(checks.first { $0.clause == "RFC 3207 §5" }?.passed == false)
    }

    @Test func protocolsMustBeExactlyTheConfiguredOnes() {
        let configured = TLSMethods([.tlsv1_2, .tlsv1_3])
        #expect(SelfTestReport.protocolCheck(accepted: [.tlsv1_2, .tlsv1_3], configured: configured).passed)
        #expect(!SelfTestReport.protocolCheck(accepted: [.tlsv1_3], configured: configured).passed)
        #expect(!SelfTestReport.protocolCheck(accepted: [.tlsv1_0, .tlsv1_2, .tlsv1_3], configured: configured).passed)
    }
}

extension SelfTestReportTests {
    @Test func mailBeforeEHLOInsideTLSMustBeRefused() {
        var kept = SelfTestReportTests.tls()
        kept.firstReplyAfterTLS = "250 ok"
        let plain = SelfTestReportTests.plain(offered: true, [])
        #expect(SelfTestReport.checks(level: .preferred, plain: plain, tls: SelfTestReportTests.tls(), reset: kept)
            .first { $0.name.hasPrefix("Session reset") }?.passed == false)
        var reset = kept
        reset.firstReplyAfterTLS = "503 5.5.1 Send HELO/EHLO first"
        #expect(SelfTestReport.checks(level: .preferred, plain: plain, tls: SelfTestReportTests.tls(), reset: reset)
            .first { $0.name.hasPrefix("Session reset") }?.passed == true)
    }
}

extension SelfTestReportTests {
    @Test func tls13SuitesMustBeExactlyTheConfiguredOnes() {
        let configured = "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"
        #expect(SelfTestReport.suiteCheck(accepted: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"],
                                          configured: configured).passed)
        let extra = SelfTestReport.suiteCheck(accepted: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                                         "TLS_CHACHA20_POLY1305_SHA256"], configured: configured)
        #expect(!extra.passed)
        #expect(extra.detail == "accepted TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256; "
            + "configured TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384")
    }
}

extension SelfTestReportTests {
    @Test func tls12CiphersComparedForTheCertificatesAuthentication() {
        let rsa = ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD")
        let rsa2 = ("AES128-SHA", "AES128-SHA SSLv3 Kx=RSA Au=RSA Enc=AES(128) Mac=SHA1")
        let ecdsa = ("ECDHE-ECDSA-AES128-GCM-SHA256",
                     "ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=ECDSA Enc=AESGCM(128) Mac=AEAD")
        // An RSA certificate cannot serve the ECDSA cipher: it is not missing.
        #expect(SelfTestReport.cipherCheck(accepted: [rsa], configured: [rsa, ecdsa]).passed)
        let missing = SelfTestReport.cipherCheck(accepted: [rsa], configured: [rsa, rsa2, ecdsa])
        #expect(!missing.passed && missing.detail.hasSuffix("configured but refused: AES128-SHA"))
        let extra = SelfTestReport.cipherCheck(accepted: [rsa, rsa2], configured: [rsa])
        #expect(!extra.passed && extra.detail.hasSuffix("not configured but accepted: AES128-SHA"))
        #expect(!SelfTestReport.cipherCheck(accepted: [], configured: []).passed)
    }
}
