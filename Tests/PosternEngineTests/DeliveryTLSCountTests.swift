import PosternControl
import PosternSMTPCore
@testable import PosternTLSChannel
import Testing
@testable import PosternEngine

/// How a delivery connection counts in Monitor → TLS Connections.
@Suite struct DeliveryTLSCountTests {
    let greeted: ConnectionReport = {
        var report = ConnectionReport()
        report.repliesInClear = [SMTPReply(220, "mx ESMTP")]
        return report
    }()
    let handshake = TLSHandshakeInfo(protocolVersion: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256",
                                     clientCertificateSubject: nil, clientCertificateVerified: false)

    @Test func aConnectionCountsByWhatBecameOfTLS() {
        #expect(ConnectionReport().tlsOutcome == nil)  // never greeted: TLS was never decided
        #expect(greeted.tlsOutcome == .unencrypted)
        var report = greeted
        report.tlsInfo = handshake
        #expect(report.tlsOutcome == .succeeded)
        report.tlsRequiredFailure = "the certificate does not name mx.example.com"
        #expect(report.tlsOutcome == .failed)
        var failed = greeted
        failed.tlsFailure = "handshake failure"
        #expect(failed.tlsOutcome == .failed)
        var notOffered = greeted
        notOffered.tlsRequiredFailure = "STARTTLS not offered"
        #expect(notOffered.tlsOutcome == .failed)
    }

    @Test func itIsCountedUnderTheDestinationsLevel() {
        let registry = ConnectionRegistry()
        var report = greeted
        report.tlsInfo = handshake
        report.countTLS(level: .requiredVerify, in: registry)
        greeted.countTLS(level: .no, in: registry)
        ConnectionReport().countTLS(level: .preferred, in: registry)
        #expect(registry.counters.tlsByLevel == ["outgoing required-verify succeeded": 1, "outgoing no unencrypted": 1])
    }
}
