import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// certconfig NEW with an ECDSA key, and a listener with an RSA and an ECDSA certificate
/// (issue 16 §2).
@Suite struct KeyTypeCLITests {
    @Test func anECDSAProfileBesideTheDemoCertificateCommits() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, """
            certconfig certificate new ecc --cn=mx.example.com --key=ecdsa --dns=mx.example.com; \
            listenerconfig edit InboundMail certificate demo ecc; commit "dual" Y; \
            certconfig certificate print
            """)
        #expect(result.status == 0, "\(result.output)")
        let configuration = try t.store.load().configuration
        let listener = configuration.listeners[0]
        #expect(listener.certificate == nil)  // the demo certificate
        #expect(listener.secondCertificate == "ecc")
        #expect(result.output.contains("Key: ECDSA P-256"))
        #expect(result.output.contains("Key: RSA 2048"))
        #expect(Formatting.listenerSummary(listener, in: configuration)
            .contains("Certificate: Demo, and ecc for clients that prefer its key type"))
    }

    @Test func aSecondCertificateOfTheSameKeyTypeIsRefusedAtCommit() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        // Written straight to the configuration: the dialog only offers profiles of the other type.
        let made = try Transcript.batch(home: t.home, "certconfig certificate new rsa2 --cn=mx.example.com; commit rsa Y")
        #expect(made.status == 0, "\(made.output)")
        _ = try t.commit("same type", checked: false) { $0.listeners[0].secondCertificate = "rsa2" }
        let result = try Transcript.batch(home: t.home, "commitcheck")
        #expect(result.status != 0)
        #expect(result.output.contains("must have a key of the other type"), "\(result.output)")
    }

    @Test func theSecondCertificateIsAskedOnlyWhenAProfileOfTheOtherTypeExists() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let plain = try Transcript.run(home: t.home, ["listenerconfig", "edit", "InboundMail", "certificate", "", "", "",
                                                      "quit"])
        #expect(!plain.output.contains("second certificate"), "\(plain.output)")
        _ = try Transcript.batch(home: t.home, "certconfig certificate new ecc --cn=mx.example.com --key=ecdsa; commit e Y")
        let asked = try Transcript.run(home: t.home, ["listenerconfig", "edit", "InboundMail", "certificate", "", "2",
                                                      "", "", "commit", "both", "", "quit"])
        #expect(asked.output.contains("Please choose a second certificate with an ECDSA key"), "\(asked.output)")
        #expect(try t.store.load().configuration.listeners[0].secondCertificate == "ecc")
    }
}
