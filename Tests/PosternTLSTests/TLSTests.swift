import Foundation
import PosternConfig
import PosternTestSupport
import Testing
@testable import PosternTLS

/// Moves bytes between two in-memory TLS endpoints until both handshakes finish or one fails.
func handshake(client: TLSConnection, server: TLSConnection) throws {
    var clientDone = false
    var serverDone = false
    for _ in 0..<20 where !(clientDone && serverDone) {
        if !clientDone { clientDone = try client.handshake() == .complete }
        let toServer = client.takeOutput()
        toServer.withUnsafeBytes { server.feed($0) }
        if !serverDone { serverDone = try server.handshake() == .complete }
        let toClient = server.takeOutput()
        toClient.withUnsafeBytes { client.feed($0) }
    }
    if !clientDone { _ = try client.handshake() }
}

struct Fixture {
    let directory: URL
    let pki: TestPKI
    let server: TLSIdentityFiles
    let clientIdentity: TLSIdentityFiles
    let authorityFile: String

    init() throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("postern-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        pki = try TestPKI()
        let s = try TestPKI.write(pki.server, name: "server", to: directory)
        let c = try TestPKI.write(pki.client, name: "client", to: directory)
        server = TLSIdentityFiles(certificatePath: s.certificate, keyPath: s.key)
        clientIdentity = TLSIdentityFiles(certificatePath: c.certificate, keyPath: c.key)
        authorityFile = directory.appendingPathComponent("ca.crt").path
        try pki.authority.certificate.pem.write(toFile: authorityFile, atomically: true, encoding: .utf8)
    }

    func serverContext(_ settings: SSLServiceSettings = FactoryDefaults.sslService, trust: Bool = false) throws -> TLSContext {
        try TLSContext(role: .server, settings: settings, identity: server,
                       trust: trust ? TLSTrust(useSystem: false, customBundlePath: authorityFile) : nil)
    }

    func clientContext(_ settings: SSLServiceSettings = FactoryDefaults.sslService, identity: Bool = false) throws -> TLSContext {
        try TLSContext(role: .client, settings: settings, identity: identity ? clientIdentity : nil,
                       trust: TLSTrust(useSystem: false, customBundlePath: authorityFile))
    }
}

@Suite struct HandshakeTests {
    @Test func defaultsNegotiateTLS13AndCarryData() throws {
        let f = try Fixture()
        let server = try TLSConnection(context: try f.serverContext())
        let client = try TLSConnection(context: try f.clientContext(), verification: .required, serverName: "localhost")
        try handshake(client: client, server: server)
        #expect(server.protocolVersion == "TLSv1.3")
        #expect(server.cipherName == "TLS_AES_256_GCM_SHA384")
        #expect(client.peerVerified)
        try Array("EHLO x\r\n".utf8).withUnsafeBytes { try client.write($0) }
        client.takeOutput().withUnsafeBytes { server.feed($0) }
        var buffer = [UInt8](repeating: 0, count: 100)
        let result = try buffer.withUnsafeMutableBytes { try server.read(into: $0) }
        #expect(result == .bytes(8))
        #expect(String(decoding: buffer.prefix(8), as: UTF8.self) == "EHLO x\r\n")
    }

    @Test func tls12OnlyWithOneCipherNegotiatesExactlyIt() throws {
        let f = try Fixture()
        let settings = SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "ECDHE-RSA-AES128-GCM-SHA256",
                                          tls13Suites: "")
        let server = try TLSConnection(context: try f.serverContext(settings))
        let client = try TLSConnection(context: try f.clientContext())
        try handshake(client: client, server: server)
        #expect(server.protocolVersion == "TLSv1.2")
        #expect(server.cipherName == "ECDHE-RSA-AES128-GCM-SHA256")
    }

    @Test func aCipherOutsideTheServersStringFails() throws {
        let f = try Fixture()
        let serverSettings = SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "ECDHE-RSA-AES256-GCM-SHA384",
                                                tls13Suites: "")
        let clientSettings = SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "AES128-SHA", tls13Suites: "")
        let server = try TLSConnection(context: try f.serverContext(serverSettings))
        let client = try TLSConnection(context: try f.clientContext(clientSettings))
        #expect {
            try handshake(client: client, server: server)
        } throws: { error in
            (error as? TLSError)?.reasons.contains("no shared cipher") == true
        }
    }

    @Test(arguments: [TLSConnection.PeerVerification.required, .ifPresented])
    func aValidClientCertificateIsAccepted(mode: TLSConnection.PeerVerification) throws {
        let f = try Fixture()
        let server = try TLSConnection(context: try f.serverContext(trust: true), verification: mode)
        let client = try TLSConnection(context: try f.clientContext(identity: true))
        try handshake(client: client, server: server)
        #expect(server.peerVerified)
        #expect(server.peerCertificate?.commonName == "client.partner.example")
    }

    @Test func requiredVerificationRefusesAClientWithoutCertificate() throws {
        let f = try Fixture()
        let server = try TLSConnection(context: try f.serverContext(trust: true), verification: .required)
        let client = try TLSConnection(context: try f.clientContext())
        #expect(throws: TLSError.self) { try handshake(client: client, server: server) }
    }

    @Test func preferredVerificationLetsAClientWithoutCertificateIn() throws {
        let f = try Fixture()
        let server = try TLSConnection(context: try f.serverContext(trust: true), verification: .ifPresented)
        let client = try TLSConnection(context: try f.clientContext())
        try handshake(client: client, server: server)
        #expect(server.peerCertificate == nil)
        #expect(!server.peerVerified)
    }

    @Test func aCertificateFromAnotherAuthorityIsRefused() throws {
        let f = try Fixture()
        let stranger = try TestPKI(authorityName: "Someone Else CA")
        let files = try TestPKI.write(stranger.client, name: "stranger", to: f.directory)
        let clientContext = try TLSContext(role: .client, settings: FactoryDefaults.sslService,
                                           identity: TLSIdentityFiles(certificatePath: files.certificate, keyPath: files.key))
        for mode in [TLSConnection.PeerVerification.required, .ifPresented] {
            let server = try TLSConnection(context: try f.serverContext(trust: true), verification: mode)
            let client = try TLSConnection(context: clientContext)
            #expect(throws: TLSError.self) { try handshake(client: client, server: server) }
        }
    }
}

@Suite struct ContextBuildTests {
    @Test func rc4IsRefusedWithOpenSSLsReason() throws {
        let f = try Fixture()
        var settings = FactoryDefaults.sslService
        settings.ciphers = "RC4-SHA:RC4-MD5"
        #expect {
            try f.serverContext(settings)
        } throws: { error in
            (error as? TLSError)?.reasons == ["no cipher match"]
        }
    }

    @Test func aKeyThatDoesNotSignTheCertificateIsRefused() throws {
        let f = try Fixture()
        let identity = TLSIdentityFiles(certificatePath: f.server.certificatePath, keyPath: f.clientIdentity.keyPath)
        #expect {
            try TLSContext(role: .server, settings: FactoryDefaults.sslService, identity: identity)
        } throws: { error in
            let reasons = (error as? TLSError)?.reasons ?? []
            return reasons.contains("key does not sign certificate") || reasons.contains("key values mismatch")
        }
    }

    @Test func tls10AloneIsNotOfferableAtSecurityLevel2() throws {
        let f = try Fixture()
        let settings = SSLServiceSettings(methods: TLSMethods([.tlsv1_0]), ciphers: "ALL", tls13Suites: "")
        #expect(throws: TLSError.self) { try f.serverContext(settings) }
        var legacy = settings
        legacy.ciphers = "ALL:@SECLEVEL=0"
        let context = try f.serverContext(legacy)
        #expect(context.securityLevel == 0)
    }

    @Test func aCipherStringThatLeavesTLS12WithoutCiphersIsRefused() throws {
        let f = try Fixture()
        let settings = SSLServiceSettings(methods: TLSMethods([.tlsv1_2, .tlsv1_3]), ciphers: "aNULL",
                                          tls13Suites: FactoryDefaults.tls13Suites)
        #expect(throws: TLSError.self) { try f.serverContext(settings) }
    }
}

@Suite struct CipherListTests {
    static func openssl(_ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test(arguments: ["HIGH:!aNULL", "RC4-SHA:RC4-MD5:ALL", "DEFAULT", "MEDIUM:HIGH:-SSLv2:-aNULL:!RC4:@STRENGTH:-EXPORT"])
    func expansionMatchesOpenSSLCiphersV(cipherString: String) throws {
        let ours = try CipherList.expand(cipherString).map(\.line)
        #expect(ours == (try Self.openssl(["ciphers", "-v", cipherString])))
    }

    @Test func supportedOnlyMatchesDashS() throws {
        let ours = try CipherList.expand("ALL", supportedOnly: true).map(\.line)
        #expect(ours == (try Self.openssl(["ciphers", "-s", "-v", "ALL"])))
    }

    @Test func deadElementsAreNamed() {
        #expect(CipherList.deadElements(of: "RC4-SHA:RC4-MD5:ALL") == ["RC4-SHA", "RC4-MD5"])
        #expect(CipherList.deadElements(of: "HIGH:!aNULL:@STRENGTH") == [])
    }

    @Test func aStringMatchingNothingIsAnError() {
        #expect(throws: TLSError.self) { try CipherList.expand("RC4-SHA:RC4-MD5") }
    }
}

@Suite struct CertificateTests {
    @Test func selfSignedCertificateSaysWhatItIs() throws {
        let made = try CertificateBuilder.make(
            subject: CertificateSubject(commonName: "mx.example.com", organization: "Example", country: "DE"),
            dnsNames: ["mx.example.com", "mail.example.com"], days: 10)
        #expect(made.certificate.commonName == "mx.example.com")
        #expect(made.certificate.dnsNames == ["mx.example.com", "mail.example.com"])
        #expect(made.certificate.isSelfIssued)
        #expect(made.certificate.matches(made.key))
        #expect(made.certificate.matchesHost("mail.example.com"))
        #expect(!made.certificate.matchesHost("other.example.com"))
        #expect(made.key.bits == 2048)
        let reread = try Certificate(pem: made.certificate.pem)
        #expect(reread.sha256Fingerprint == made.certificate.sha256Fingerprint)
        #expect(reread.subject.contains("CN=mx.example.com"))
        let days = (made.certificate.notAfter!.timeIntervalSince(made.certificate.notBefore!)) / 86_400
        #expect(days > 10 && days < 10.1)
    }

    @Test func aForeignKeyDoesNotMatch() throws {
        let a = try CertificateBuilder.make(subject: CertificateSubject(commonName: "a"))
        let b = try CertificateBuilder.make(subject: CertificateSubject(commonName: "b"))
        #expect(!a.certificate.matches(b.key))
    }

    @Test func garbageIsNotACertificate() {
        #expect(throws: TLSError.self) { try Certificate(pem: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n") }
        #expect(throws: TLSError.self) { try PrivateKey(pem: "hello") }
    }
}
