import Foundation
import NIOCore
import NIOEmbedded
import PosternConfig
import PosternTLS
import PosternTestSupport
import Testing
@testable import PosternTLSChannel

/// Records the user events and plaintext the TLS handler passes up.
final class Recorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    var plaintext = ""
    var events: [String] = []
    /// The capacity of each buffer of plaintext passed up.
    var capacities: [Int] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        capacities.append(buffer.capacity)
        plaintext += buffer.readString(length: buffer.readableBytes) ?? ""
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event as? TLSEvent {
        case .handshakeCompleted(let info, _)?: events.append("completed \(info.protocolVersion) \(info.cipher)")
        case .handshakeFailed(let reason)?: events.append("failed \(reason)")
        case .failedAfterHandshake(let reason)?: events.append("error \(reason)")
        case .closedWithoutNotify?: events.append("closed without close_notify")
        case nil: break
        }
    }
}

struct TLSPair {
    let server: TLSContext
    let client: TLSContext
    let directory: URL

    init(serverSettings: SSLServiceSettings = FactoryDefaults.sslService,
         clientSettings: SSLServiceSettings = FactoryDefaults.sslService) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("postern-engine-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pki = try TestPKI()
        let files = try TestPKI.write(pki.server, name: "server", to: directory)
        server = try TLSContext(role: .server, settings: serverSettings,
                                identity: TLSIdentityFiles(certificatePath: files.certificate, keyPath: files.key))
        client = try TLSContext(role: .client, settings: clientSettings, identity: nil)
    }
}

/// An EmbeddedChannel with a server-side STARTTLS handler over `context` and a recorder above it.
func serverChannel(_ context: TLSContext) throws -> (EmbeddedChannel, Recorder) {
    let recorder = Recorder()
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(recorder)
    try channel.pipeline.syncOperations.addHandler(STARTTLSHandler(connection: try TLSConnection(context: context)),
                                                   position: .first)
    return (channel, recorder)
}

@Suite struct STARTTLSHandlerTests {
    @Test func handshakeThenPlaintextBothWays() throws {
        let pair = try TLSPair()
        let (channel, recorder) = try serverChannel(pair.server)
        let client = try TLSConnection(context: pair.client)
        // A reply written during the handshake waits for it, then goes out encrypted.
        channel.writeAndFlush(ByteBuffer(string: "250 early\r\n"), promise: nil)
        try pump(channel, client)
        #expect(recorder.events == ["completed TLSv1.3 TLS_AES_256_GCM_SHA384"])
        try Array("EHLO x\r\n".utf8).withUnsafeBytes { try client.write($0) }
        try pump(channel, client)
        #expect(recorder.plaintext == "EHLO x\r\n")
        var buffer = [UInt8](repeating: 0, count: 100)
        let read = try buffer.withUnsafeMutableBytes { try client.read(into: $0) }
        #expect(read == .bytes(11))
        #expect(String(decoding: buffer.prefix(11), as: UTF8.self) == "250 early\r\n")
        _ = try channel.finish()
    }

    @Test func aFailedHandshakeIsReportedAndCloses() throws {
        let pair = try TLSPair(
            serverSettings: SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "ECDHE-RSA-AES256-GCM-SHA384",
                                               tls13Suites: ""),
            clientSettings: SSLServiceSettings(methods: TLSMethods([.tlsv1_2]), ciphers: "AES128-SHA", tls13Suites: ""))
        let (channel, recorder) = try serverChannel(pair.server)
        let client = try TLSConnection(context: pair.client)
        try pump(channel, client)
        #expect(recorder.events == ["failed no shared cipher"])
        #expect(!channel.isActive)
        // The alert reached the client, which now knows why.
        #expect(throws: TLSError.self) { _ = try client.handshake() }
    }

    @Test func garbageInsteadOfAHandshakeFailsCleanly() throws {
        let pair = try TLSPair()
        let (channel, recorder) = try serverChannel(pair.server)
        try channel.writeInbound(ByteBuffer(string: "MAIL FROM:<evil@x>\r\n"))
        #expect(recorder.events.count == 1)
        #expect(recorder.events.first?.hasPrefix("failed") == true)
        #expect(recorder.plaintext.isEmpty)
        #expect(!channel.isActive)
    }
}

/// Handshake failures, errors after the handshake and unclean closes are three events (issue 12 §6).
@Suite struct TLSFailureKindTests {
    static func established() throws -> (EmbeddedChannel, Recorder, TLSConnection) {
        let pair = try TLSPair()
        let (channel, recorder) = try serverChannel(pair.server)
        let client = try TLSConnection(context: pair.client)
        try pump(channel, client)
        #expect(recorder.events == ["completed TLSv1.3 TLS_AES_256_GCM_SHA384"])
        return (channel, recorder, client)
    }

    @Test func aBadRecordAfterTheHandshakeIsNotAHandshakeFailure() throws {
        let (channel, recorder, _) = try TLSFailureKindTests.established()
        // An application-data record header with garbage inside: decryption fails.
        try channel.writeInbound(ByteBuffer(bytes: [0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0x41, count: 32)))
        #expect(recorder.events.count == 2)
        #expect(recorder.events.last?.hasPrefix("error ") == true)
        #expect(!channel.isActive)
    }

    @Test func aPeerThatClosesWithoutCloseNotifyIsItsOwnEvent() throws {
        let (channel, recorder, _) = try TLSFailureKindTests.established()
        channel.pipeline.fireChannelInactive()
        #expect(recorder.events.last == "closed without close_notify")
    }

    /// Closing sends close_notify and waits for it to be written, but not for ever: a peer
    /// that never reads is let go after the handshake timeout.
    @Test func aCloseWaitsForCloseNotifyButNotForEver() throws {
        let (channel, _, _) = try TLSFailureKindTests.established()
        try channel.pipeline.syncOperations.addHandler(HeldWrites(), position: .first)
        var closed = false
        channel.close().whenComplete { _ in closed = true }
        #expect(!closed)
        channel.embeddedEventLoop.advanceTime(by: .seconds(31))
        #expect(closed)
    }

    @Test func closeNotifyIsNotAnUncleanClose() throws {
        let (channel, recorder, client) = try TLSFailureKindTests.established()
        client.shutdown()
        try channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))
        channel.pipeline.fireChannelInactive()
        #expect(recorder.events == ["completed TLSv1.3 TLS_AES_256_GCM_SHA384"])
    }
}

/// Keeps every write pending, as a socket whose peer does not read.
final class HeldWrites: ChannelOutboundHandler {
    typealias OutboundIn = Any
    var held: [EventLoopPromise<Void>?] = []
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) { held.append(promise) }
}

/// Answers every read at once, as the SMTP session answers EHLO.
final class Replier: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "250 ok\r\n")), promise: nil)
    }
}

@Suite struct TLSWriteCoalescingTests {
    /// The client's Finished and its EHLO arrive together: the TLS 1.3 tickets the handshake's
    /// end produces leave with the reply, in one write to the socket, not two.
    @Test func theTicketsLeaveWithTheReplyToWhatCameWithFinished() throws {
        let pair = try TLSPair()
        let channel = EmbeddedChannel()
        let counter = SocketWriteCounter()
        try channel.pipeline.syncOperations.addHandler(Replier())
        try channel.pipeline.syncOperations.addHandler(STARTTLSHandler(connection: try TLSConnection(context: pair.server)),
                                                       position: .first)
        try channel.pipeline.syncOperations.addHandler(counter, position: .first)
        let client = try TLSConnection(context: pair.client)
        _ = try client.handshake()  // ClientHello
        try channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))
        while let flight = try channel.readOutbound(as: ByteBuffer.self) { flight.withUnsafeReadableBytes { client.feed($0) } }
        #expect(try client.handshake() == .complete)  // its Finished is now in its output
        try Array("EHLO x\r\n".utf8).withUnsafeBytes { try client.write($0) }
        let writesBefore = counter.writes
        try channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))  // Finished + EHLO
        #expect(counter.writes - writesBefore == 1)
        var received: [ByteBuffer] = []
        while let out = try channel.readOutbound(as: ByteBuffer.self) { received.append(out) }
        #expect(received.count == 2)  // the tickets, then the reply: both in that one write
        for out in received { out.withUnsafeReadableBytes { client.feed($0) } }
        var buffer = [UInt8](repeating: 0, count: 100)
        let read = try buffer.withUnsafeMutableBytes { try client.read(into: $0) }
        #expect(read == .bytes(8))
        #expect(client.session != nil)  // the tickets arrived
        _ = try channel.finish()
    }

    /// A command's record is read into a buffer of about its size, not one of 16 KiB each
    /// time; a record larger than 16 KiB of plaintext still arrives whole, in pieces.
    @Test func plaintextBuffersFitWhatWasFed() throws {
        let (channel, recorder, client) = try TLSFailureKindTests.established()
        try Array("EHLO x\r\n".utf8).withUnsafeBytes { try client.write($0) }
        try channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))
        #expect(recorder.plaintext == "EHLO x\r\n")
        #expect(recorder.capacities.count == 1 && recorder.capacities[0] < 256)
        let big = String(repeating: "x", count: 40_000)
        try Array(big.utf8).withUnsafeBytes { try client.write($0) }
        try channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))
        #expect(recorder.plaintext == "EHLO x\r\n" + big)
        #expect(recorder.capacities.dropFirst().allSatisfy { $0 <= 16 * 1024 })
        _ = try channel.finish()
    }

    /// A handshake record with nothing to answer still leaves at the end of the read.
    @Test func aFlightWithoutAReplyLeavesAtTheEndOfTheRead() throws {
        let pair = try TLSPair()
        let (channel, _) = try serverChannel(pair.server)
        let client = try TLSConnection(context: pair.client)
        _ = try client.handshake()
        try channel.writeInbound(ByteBuffer(bytes: client.takeOutput()))
        let flight = try channel.readOutbound(as: ByteBuffer.self)
        #expect((flight?.readableBytes ?? 0) > 0)
        _ = try channel.finish()
    }
}
