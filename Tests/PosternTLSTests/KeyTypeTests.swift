import Foundation
import PosternConfig
import PosternTestSupport
import Testing
@testable import PosternTLS

/// ECDSA certificates, and a server that holds an RSA and an ECDSA certificate at once
/// (issue 16 §2): OpenSSL picks per handshake the one the client can verify.
@Suite struct KeyTypeTests {
    @Test func ecdsaCertificatesAreP256AndOnlySign() throws {
        let made = try CertificateBuilder.make(subject: CertificateSubject(commonName: "mx.example"),
                                               dnsNames: ["mx.example"], keyType: .ecdsa)
        #expect(made.key.type == .ecdsa)
        #expect(made.key.algorithm == "ECDSA P-256")
        #expect(made.certificate.keyType == .ecdsa)
        #expect(made.certificate.keyAlgorithm == "ECDSA P-256")
        #expect(made.certificate.matches(made.key))
        let file = NSTemporaryDirectory() + "postern-ecdsa-\(UUID()).crt"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try made.certificate.pem.write(toFile: file, atomically: true, encoding: .utf8)
        let text = try CipherListTests.openssl(["x509", "-in", file, "-noout", "-ext", "keyUsage"])
        #expect(text.joined().contains("Digital Signature"))
        #expect(!text.joined().contains("Key Encipherment"))
        let rsa = try CertificateBuilder.make(subject: CertificateSubject(commonName: "mx.example"))
        #expect(rsa.certificate.keyAlgorithm == "RSA 2048")
        #expect(!rsa.certificate.matches(made.key))
    }

    /// The server holds both; a TLS 1.2 client whose only cipher needs one key type gets it.
    @Test(arguments: [("ECDHE-ECDSA-AES128-GCM-SHA256", KeyType.ecdsa), ("ECDHE-RSA-AES128-GCM-SHA256", .rsa)])
    func dualCertificatesServeEachClientItsKeyType(cipher: String, expected: KeyType) throws {
        let f = try Fixture()
        let ecdsa = try CertificateBuilder.make(subject: CertificateSubject(commonName: "localhost"),
                                                dnsNames: ["localhost"], days: 30, keyType: .ecdsa, issuer: f.pki.authority)
        let files = try TestPKI.write(ecdsa, name: "server-ecdsa", to: f.directory)
        let second = TLSIdentityFiles(certificatePath: files.certificate, keyPath: files.key)
        let server = try TLSConnection(context: try TLSContext(
            role: .server, settings: FactoryDefaults.sslService, identity: f.server, secondIdentity: second))
        let clientSettings = SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: cipher, tls13Suites: "")
        let client = try TLSConnection(context: try f.clientContext(clientSettings), verification: .required,
                                       serverName: "localhost")
        try handshake(client: client, server: server)
        #expect(client.cipherName == cipher)
        #expect(client.peerCertificate?.keyType == expected)
        #expect(client.peerVerified)
    }

    /// A server without TLS 1.3 whose ciphers all need an RSA key, holding only an ECDSA one,
    /// would answer every handshake "no shared cipher": the context is refused at commit.
    @Test func aCipherListTheKeyCannotServeIsRefused() throws {
        let f = try Fixture()
        let ecdsa = try CertificateBuilder.make(subject: CertificateSubject(commonName: "localhost"),
                                                dnsNames: ["localhost"], days: 30, keyType: .ecdsa, issuer: f.pki.authority)
        let files = try TestPKI.write(ecdsa, name: "server-ecdsa", to: f.directory)
        let ec = TLSIdentityFiles(certificatePath: files.certificate, keyPath: files.key)
        let rsaOnly = SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
                                         tls13Suites: "")
        let error = #expect(throws: TLSError.self) { try TLSContext(role: .server, settings: rsaOnly, identity: ec) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("ECDSA key"))
        // The same list serves an RSA key, an ECDSA key beside an RSA one, and TLS 1.3 clients.
        _ = try TLSContext(role: .server, settings: rsaOnly, identity: f.server)
        _ = try TLSContext(role: .server, settings: rsaOnly, identity: ec, secondIdentity: f.server)
        var with13 = FactoryDefaults.sslService
        with13.ciphers = "ECDHE-RSA-AES128-GCM-SHA256"
        _ = try TLSContext(role: .server, settings: with13, identity: ec)
        _ = try TLSContext(role: .server, settings: SSLServiceSettings(
            methods: TLSMethods([.tlsv1_2]), ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256", tls13Suites: ""), identity: ec)
    }

    /// A TLS 1.3 client with default signature algorithms gets the ECDSA certificate.
    @Test func tls13PrefersTheECDSACertificate() throws {
        let f = try Fixture()
        let ecdsa = try CertificateBuilder.make(subject: CertificateSubject(commonName: "localhost"),
                                                dnsNames: ["localhost"], days: 30, keyType: .ecdsa, issuer: f.pki.authority)
        let files = try TestPKI.write(ecdsa, name: "server-ecdsa", to: f.directory)
        let server = try TLSConnection(context: try TLSContext(
            role: .server, settings: FactoryDefaults.sslService, identity: f.server,
            secondIdentity: TLSIdentityFiles(certificatePath: files.certificate, keyPath: files.key)))
        let client = try TLSConnection(context: try f.clientContext(), verification: .required, serverName: "localhost")
        try handshake(client: client, server: server)
        #expect(client.protocolVersion == "TLSv1.3")
        #expect(client.peerCertificate?.keyType == .ecdsa)
    }

    @Test func aSecondCertificateWithAMismatchedKeyIsRefused() throws {
        let f = try Fixture()
        let one = try CertificateBuilder.make(subject: CertificateSubject(commonName: "a"), keyType: .ecdsa)
        let other = try CertificateBuilder.make(subject: CertificateSubject(commonName: "b"), keyType: .ecdsa)
        let crt = f.directory.appendingPathComponent("mixed.crt").path
        let key = f.directory.appendingPathComponent("mixed.key").path
        try one.certificate.pem.write(toFile: crt, atomically: true, encoding: .utf8)
        try other.key.pem.write(toFile: key, atomically: true, encoding: .utf8)
        #expect(throws: TLSError.self) {
            _ = try TLSContext(role: .server, settings: FactoryDefaults.sslService, identity: f.server,
                               secondIdentity: TLSIdentityFiles(certificatePath: crt, keyPath: key))
        }
    }
}
