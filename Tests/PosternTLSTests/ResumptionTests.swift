import PosternConfig
import Testing
@testable import PosternTLS

/// A session resumes only under the verification requirement it was made under (issue 12 §1).
@Suite struct ResumptionTests {
    /// A full handshake against `server`, then the plaintext round that brings a TLS 1.3
    /// client its ticket; returns the client's session.
    static func firstSession(_ f: Fixture, client: TLSContext, server: TLSContext,
                             verification: TLSConnection.PeerVerification) throws -> TLSSession {
        let s = try TLSConnection(context: server, verification: verification)
        let c = try TLSConnection(context: client)
        try handshake(client: c, server: s)
        #expect(!s.sessionReused)
        try Array("x".utf8).withUnsafeBytes { try s.write($0) }
        s.takeOutput().withUnsafeBytes { c.feed($0) }
        var buffer = [UInt8](repeating: 0, count: 16)
        _ = try buffer.withUnsafeMutableBytes { try c.read(into: $0) }
        let session = try #require(c.session)
        // An SSL freed without close_notify marks its session not resumable (OpenSSL's
        // ssl_clear_bad_session); a client that ends properly keeps it.
        c.shutdown()
        return session
    }

    static let versions: [SSLServiceSettings] = [
        FactoryDefaults.sslService,
        SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "ECDHE-RSA-AES128-GCM-SHA256", tls13Suites: ""),
    ]

    /// A session made where no certificate is asked for, offered to a server connection
    /// that treats certificates as `verification`; the server side and the handshake's error.
    static func resume(_ settings: SSLServiceSettings, under verification: TLSConnection.PeerVerification) throws
        -> (server: TLSConnection, error: (any Error)?)
    {
        let f = try Fixture()
        let server = try f.serverContext(settings, trust: true)
        let client = try f.clientContext(settings)
        let session = try firstSession(f, client: client, server: server, verification: .none)
        let s = try TLSConnection(context: server, verification: verification)
        let c = try TLSConnection(context: client, resuming: session)
        do {
            try handshake(client: c, server: s)
            return (s, nil)
        } catch {
            return (s, error)
        }
    }

    @Test(arguments: versions)
    func aSessionResumesUnderTheSameRequirement(settings: SSLServiceSettings) throws {
        let (server, error) = try ResumptionTests.resume(settings, under: .none)
        #expect(error == nil)
        #expect(server.sessionReused)
    }

    @Test(arguments: versions)
    func aSessionMadeWithoutACertificateDoesNotResumeWhereOneIsRequired(settings: SSLServiceSettings) throws {
        let (server, error) = try ResumptionTests.resume(settings, under: .required)
        // A full handshake instead, which a client without a certificate cannot pass.
        #expect(error is TLSError)
        #expect(!server.sessionReused)
        #expect(!server.peerVerified)
    }

    @Test func eachRequirementHasItsOwnContext() throws {
        let f = try Fixture()
        let a = try f.serverContext(trust: true)
        let levels: [TLSConnection.PeerVerification] = [.none, .ifPresented, .required]
        let ids = levels.map { a.sessionIDContext(for: $0) }
        #expect(Set(ids).count == 3)
        #expect(ids.allSatisfy { $0.count == 32 })  // SSL_MAX_SID_CTX_LENGTH
        let otherListener = try TLSContext(role: .server, settings: FactoryDefaults.sslService, identity: f.server,
                                           trust: TLSTrust(useSystem: false, customBundlePath: f.authorityFile),
                                           sessionLabel: "OutboundMail")
        let noAuthorities = try f.serverContext(trust: false)
        #expect(otherListener.sessionIDContext(for: .required) != ids[2])
        #expect(noAuthorities.sessionIDContext(for: .required) != ids[2])
        // The same configuration built again (a reload) keeps its contexts.
        #expect(try f.serverContext(trust: true).sessionIDContext(for: .required) == ids[2])
    }
}
