import Foundation
import NIOCore
import NIOEmbedded
import PosternConfig
import PosternControl
import PosternStore
import PosternTLS
import PosternTestSupport
import Testing
@testable import PosternEngine

/// STARTTLS through the whole server handler: what each kind of TLS failure logs and counts
/// (issue 12 §6).
@Suite(.serialized) struct SMTPServerHandlerTLSTests {
    /// A harness whose client has done STARTTLS and a handshake with the factory's demo
    /// certificate (TLS Preferred on the default policy).
    static func encrypted() throws -> (HandlerHarness, TLSConnection) {
        let h = try HandlerHarness(policy: { $0.tls = .preferred })
        _ = try h.output()
        try h.send("EHLO c.example\r\nSTARTTLS\r\n")
        #expect(try h.output().hasSuffix("220 Go ahead with TLS\r\n"))
        let client = try TLSConnection(context: try TLSContext(role: .client, settings: FactoryDefaults.sslService,
                                                                identity: nil))
        try pump(h.channel, client)
        #expect(h.mailLog().contains("TLS success protocol TLSv1.3"))
        return (h, client)
    }

    /// The plaintext the client reads next (a reply), or nil when none has come.
    static func reply(_ client: TLSConnection) throws -> String? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        guard case .bytes(let n) = try buffer.withUnsafeMutableBytes({ try client.read(into: $0) }) else { return nil }
        return String(decoding: buffer.prefix(n), as: UTF8.self)
    }

    /// The EHLO a client sends with its Finished is answered in the same write as the TLS 1.3
    /// tickets the end of the handshake produced: one write(2), not two.
    @Test func theTicketsAndTheEHLOReplyLeaveInOneWrite() throws {
        let h = try HandlerHarness(policy: { $0.tls = .preferred })
        _ = try h.output()
        try h.send("EHLO c.example\r\nSTARTTLS\r\n")
        #expect(try h.output().hasSuffix("220 Go ahead with TLS\r\n"))
        let counter = SocketWriteCounter()
        try h.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        let client = try TLSConnection(context: try TLSContext(role: .client, settings: FactoryDefaults.sslService,
                                                                identity: nil))
        _ = try client.handshake()  // ClientHello
        try h.channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))
        while let flight = try h.channel.readOutbound(as: ByteBuffer.self) { flight.withUnsafeReadableBytes { client.feed($0) } }
        #expect(try client.handshake() == .complete)
        try Array("EHLO c.example\r\n".utf8).withUnsafeBytes { try client.write($0) }
        let before = counter.writes
        try h.channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))  // Finished + EHLO
        #expect(counter.writes - before == 1)
        while let out = try h.channel.readOutbound(as: ByteBuffer.self) { out.withUnsafeReadableBytes { client.feed($0) } }
        #expect(try SMTPServerHandlerTLSTests.reply(client)?.hasPrefix("250-") == true)
        #expect(client.session != nil)  // the tickets came in that write too
    }

    /// The reply to QUIT and the close_notify after it leave in one write, and the connection
    /// closes once both are out.
    @Test func theQuitReplyAndCloseNotifyLeaveInOneWrite() throws {
        let (h, client) = try SMTPServerHandlerTLSTests.encrypted()
        let counter = SocketWriteCounter()
        try h.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        try Array("QUIT\r\n".utf8).withUnsafeBytes { try client.write($0) }
        try h.channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))
        #expect(counter.writes == 1)
        while let out = try h.channel.readOutbound(as: ByteBuffer.self) { out.withUnsafeReadableBytes { client.feed($0) } }
        #expect(try SMTPServerHandlerTLSTests.reply(client)?.hasPrefix("221 ") == true)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try client.read(into: $0) } == .closed)  // close_notify
        #expect(!h.channel.isActive)
        #expect(!h.mailLog().contains("without close_notify"))
    }

    @Test func anErrorAfterTheHandshakeIsNotAFailedHandshake() throws {
        let (h, _) = try SMTPServerHandlerTLSTests.encrypted()
        try h.channel.writeInbound(ByteBuffer(bytes: [0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0x41, count: 32)))
        #expect(h.mailLog().contains("TLS error after the handshake: "))
        #expect(!h.mailLog().contains("TLS failed"))
        let counters = h.services.registry.counters
        #expect(counters.tlsErrors == 1 && counters.tlsFailures == 0 && counters.tlsSessions == 1)
    }

    @Test func aClientThatVanishesWithoutCloseNotifyIsCountedApart() throws {
        let (h, _) = try SMTPServerHandlerTLSTests.encrypted()
        h.channel.pipeline.fireChannelInactive()
        #expect(h.mailLog().contains("TLS connection closed by the client without close_notify"))
        #expect(h.services.registry.counters.tlsUncleanCloses == 1)
        #expect(h.services.registry.counters.tlsFailures == 0)
    }

    @Test func olderStatusFilesStillRead() throws {
        let old = #"{"connectionsAccepted":3,"connectionsOpen":1,"connectionsRefused":0,"messagesAccepted":2,"#
            + #""recipientsAccepted":2,"recipientsRejected":0,"tlsFailures":1,"tlsSessions":4}"#
        let counters = try JSONDecoder().decode(EngineStatus.Counters.self, from: Data(old.utf8))
        #expect(counters.tlsSessions == 4 && counters.tlsFailures == 1 && counters.tlsErrors == 0)
    }

    /// Monitor → TLS Connections counts each connection once, under its policy's TLS level.
    @Test func aSuccessCountsOnceUnderThePolicysLevel() throws {
        let (h, _) = try SMTPServerHandlerTLSTests.encrypted()
        h.channel.pipeline.fireChannelInactive()  // the close adds no "unencrypted" on top
        #expect(h.services.registry.counters.tlsByLevel == ["incoming preferred succeeded": 1])
    }

    @Test func aFailedHandshakeCountsAsAFailureOfTheRequiredLevel() throws {
        let h = try HandlerHarness(policy: { $0.tls = .required })
        _ = try h.output()
        try h.send("EHLO c.example\r\nSTARTTLS\r\n")
        #expect(try h.output().hasSuffix("220 Go ahead with TLS\r\n"))
        try? h.channel.writeInbound(ByteBuffer(string: "this is no ClientHello\r\n"))
        h.channel.pipeline.fireChannelInactive()
        #expect(h.services.registry.counters.tlsByLevel == ["incoming required failed": 1])
    }

    @Test func aConnectionWithoutSTARTTLSCountsAsUnencrypted() throws {
        let h = try HandlerHarness(policy: { $0.tls = .preferred })
        _ = try h.output()
        try h.send("EHLO c.example\r\nQUIT\r\n")
        h.channel.pipeline.fireChannelInactive()
        #expect(h.services.registry.counters.tlsByLevel == ["incoming preferred unencrypted": 1])
    }
}
