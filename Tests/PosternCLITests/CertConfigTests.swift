import Foundation
import PosternCertificates
import PosternConfig
import PosternStore
import PosternTLS
import PosternTestSupport
import Testing
@testable import PosternCLI

@Suite struct CertConfigTests {
    static func pemLines(_ pem: String) -> [String] {
        pem.split(separator: "\n").map(String.init) + ["."]
    }

    @Test func pasteChecksThatTheKeySignsTheCertificate() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let pki = try TestPKI(serverName: "mx.example.com")
        let wrong = try CertificateBuilder.make(subject: CertificateSubject(commonName: "other"))
        var input = ["certconfig", "certificate", "paste", "Bad"]
        input += Self.pemLines(pki.server.certificate.pem) + Self.pemLines(wrong.key.pem)
        input += ["paste", "Partner"] + Self.pemLines(pki.server.certificate.pem) + Self.pemLines(pki.server.key.pem)
        input += ["Y"] + Self.pemLines(pki.authority.certificate.pem) + ["N", "", "",
                  "listenerconfig", "edit", "InboundMail", "certificate", "Partner", "", "",
                  "commit", "partner certificate", "", "quit"]
        let result = try Transcript.run(home: t.home, input)
        #expect(result.output.contains("key does not sign certificate"))
        #expect(result.output.contains("Certificate profile \"Partner\" saved (CN=mx.example.com)"))
        #expect(result.status == 0, "\(result.output)")
        let committed = try t.store.load().configuration
        #expect(committed.certificates.map(\.name) == ["Demo", "Partner"])
        #expect(committed.listeners[0].certificate == "Partner")
        let profile = try #require(committed.certificate(named: "Partner"))
        #expect(CertificateFiles.loadChain(profile, home: t.home).map(\.commonName) == ["Postern Test CA"])
        var info = stat()
        #expect(stat(t.home.certificateFile(profile.keyFile).path, &info) == 0 && info.st_mode & 0o777 == 0o640)
    }

    @Test func aCertificateInUseCannotBeDeleted() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "certconfig certificate delete Demo Y")
        #expect(result.status == 1)
        #expect(result.output.contains("is used by the listener InboundMail"))
    }

    @Test func newSelfSignedCertificateAndCountryCheck() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "certconfig", "certificate", "new", "Lab", "mx.lab.example", "Lab", "", "", "", "Germany", "DE", "30", "",
            "", "", "", "quit", "Y",
        ])
        #expect(result.output.contains("Country should be a ISO two character country code"))
        #expect(result.output.contains("Certificate profile \"Lab\" saved (CN=mx.lab.example,O=Lab,C=DE)"), "\(result.output)")
    }
}
