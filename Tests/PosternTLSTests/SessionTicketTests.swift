import PosternConfig
import Testing
@testable import PosternTLS

/// Session tickets made with the engine's keys (issue 16 §3): they outlive the SSL_CTX that
/// made them (a reload builds new ones), rotate on schedule, and still never cross a
/// verification requirement.
@Suite struct SessionTicketTests {
    static let versions = ResumptionTests.versions

    static func context(_ f: Fixture, _ settings: SSLServiceSettings, keys: SessionTicketKeys?, trust: Bool = false,
                        label: String = "InboundMail") throws -> TLSContext {
        try TLSContext(role: .server, settings: settings, identity: f.server,
                       trust: trust ? TLSTrust(useSystem: false, customBundlePath: f.authorityFile) : nil,
                       sessionLabel: label, ticketKeys: keys)
    }

    /// A session made on `first`, offered to `second`; whether the server resumed it, and the
    /// handshake's error.
    static func offer(_ f: Fixture, _ settings: SSLServiceSettings, from first: TLSContext, to second: TLSContext,
                      under verification: TLSConnection.PeerVerification = .none) throws
        -> (reused: Bool, error: (any Error)?)
    {
        let client = try f.clientContext(settings)
        let session = try ResumptionTests.firstSession(f, client: client, server: first, verification: .none)
        let s = try TLSConnection(context: second, verification: verification)
        let c = try TLSConnection(context: client, resuming: session)
        do {
            try handshake(client: c, server: s)
            return (s.sessionReused, nil)
        } catch {
            return (s.sessionReused, error)
        }
    }

    @Test(arguments: versions)
    func aTicketResumesOnAContextBuiltAgain(settings: SSLServiceSettings) throws {
        let f = try Fixture()
        let keys = SessionTicketKeys([SessionTicketKey.generate(created: 0)])
        let (reused, error) = try SessionTicketTests.offer(
            f, settings, from: try SessionTicketTests.context(f, settings, keys: keys),
            to: try SessionTicketTests.context(f, settings, keys: keys))
        #expect(error == nil)
        #expect(reused)
    }

    @Test(arguments: versions)
    func withoutSharedKeysAReloadForgetsTheTicket(settings: SSLServiceSettings) throws {
        let f = try Fixture()
        let (reused, error) = try SessionTicketTests.offer(
            f, settings, from: try SessionTicketTests.context(f, settings, keys: nil),
            to: try SessionTicketTests.context(f, settings, keys: nil))
        #expect(error == nil)
        #expect(!reused)
    }

    @Test(arguments: versions)
    func aTicketOfADroppedKeyGivesAFullHandshake(settings: SSLServiceSettings) throws {
        let f = try Fixture()
        let keys = SessionTicketKeys([SessionTicketKey.generate(created: 0)])
        let first = try SessionTicketTests.context(f, settings, keys: keys)
        let client = try f.clientContext(settings)
        let session = try ResumptionTests.firstSession(f, client: client, server: first, verification: .none)
        // One rotation: the old key still decrypts. Two lifetimes on: it is gone.
        keys.replace(SessionTicketKeys.rotated(keys.all, now: 3600, lifetime: 3600))
        #expect(keys.all.count == 2)
        var s = try TLSConnection(context: first, verification: .none)
        try handshake(client: try TLSConnection(context: client, resuming: session), server: s)
        #expect(s.sessionReused)
        keys.replace(SessionTicketKeys.rotated(keys.all, now: 7200, lifetime: 3600))
        #expect(keys.all.map(\.created) == [7200, 3600])
        s = try TLSConnection(context: first, verification: .none)
        try handshake(client: try TLSConnection(context: client, resuming: session), server: s)
        #expect(!s.sessionReused)
    }

    /// The keys are shared by every listener and every requirement: only the session-id
    /// context keeps a ticket where it was made.
    @Test(arguments: versions)
    func aSharedKeyTicketDoesNotCrossIntoRequiredVerify(settings: SSLServiceSettings) throws {
        let f = try Fixture()
        let keys = SessionTicketKeys([SessionTicketKey.generate(created: 0)])
        let open = try SessionTicketTests.context(f, settings, keys: keys, label: "OpenListener")
        let verifying = try SessionTicketTests.context(f, settings, keys: keys, trust: true)
        let (reused, error) = try SessionTicketTests.offer(f, settings, from: open, to: verifying, under: .required)
        #expect(!reused)
        #expect(error is TLSError)  // the full handshake asks for the certificate this client lacks
        let (again, _) = try SessionTicketTests.offer(f, settings, from: verifying, to: verifying, under: .required)
        #expect(!again)  // made under .none on the verifying listener, offered under .required
    }

    @Test(arguments: versions)
    func resumptionOffMeansFullHandshakes(settings: SSLServiceSettings) throws {
        let f = try Fixture()
        var off = settings
        off.resumption.enabled = false
        let keys = SessionTicketKeys([SessionTicketKey.generate(created: 0)])
        let server = try SessionTicketTests.context(f, off, keys: keys)
        let client = try f.clientContext(settings)
        let s = try TLSConnection(context: server, verification: .none)
        let c = try TLSConnection(context: client)
        try handshake(client: c, server: s)
        try Array("x".utf8).withUnsafeBytes { try s.write($0) }
        s.takeOutput().withUnsafeBytes { c.feed($0) }
        var buffer = [UInt8](repeating: 0, count: 16)
        _ = try buffer.withUnsafeMutableBytes { try c.read(into: $0) }
        // No ticket and no cached session id: nothing the client could offer again.
        #expect(c.session == nil)
    }

    @Test func theScheduleRotatesAtOneLifetimeAndDropsAtTwo() {
        var made = 0
        func make(_ now: Int64) -> SessionTicketKey {
            made += 1
            return SessionTicketKey.generate(created: now)
        }
        var keys = SessionTicketKeys.rotated([], now: 1000, lifetime: 600, make: make)
        #expect(keys.map(\.created) == [1000])
        keys = SessionTicketKeys.rotated(keys, now: 1599, lifetime: 600, make: make)
        #expect(keys.map(\.created) == [1000])
        #expect(SessionTicketKeys.nextChange(keys, lifetime: 600) == 1600)
        keys = SessionTicketKeys.rotated(keys, now: 1600, lifetime: 600, make: make)
        #expect(keys.map(\.created) == [1600, 1000])
        #expect(SessionTicketKeys.nextChange(keys, lifetime: 600) == 2200)
        keys = SessionTicketKeys.rotated(keys, now: 2200, lifetime: 600, make: make)
        #expect(keys.map(\.created) == [2200, 1600])
        // A shorter lifetime committed later drops what it no longer covers at once.
        // A shorter lifetime committed later: a new key at once, and the old one only while
        // a ticket it made could still be valid under the new lifetime.
        keys = SessionTicketKeys.rotated(keys, now: 2300, lifetime: 60, make: make)
        #expect(keys.map(\.created) == [2300, 2200])
        keys = SessionTicketKeys.rotated(keys, now: 2320, lifetime: 60, make: make)
        #expect(keys.map(\.created) == [2300])
        #expect(made == 4)
    }

    /// Dates from a damaged or hand-edited key file: none crashes the engine, and a key dated
    /// in the future is replaced, or it would never age and never be rotated.
    @Test func anyStoredDateIsSafeAndAFutureKeyIsReplaced() {
        for created in [Int64.min, -1, Int64.max, 32_503_680_000] {
            let keys = SessionTicketKeys.rotated([SessionTicketKey.generate(created: created)], now: 1_795_997_100,
                                                 lifetime: 60)
            #expect(keys.map(\.created) == [1_795_997_100], "created \(created)")
            _ = SessionTicketKeys.nextChange([SessionTicketKey.generate(created: created)], lifetime: 604_800)
        }
        // A clock stepped back a little keeps its key.
        let recent = SessionTicketKeys.rotated([SessionTicketKey.generate(created: 1_000_100)], now: 1_000_000,
                                               lifetime: 60)
        #expect(recent.map(\.created) == [1_000_100])
    }
}
