import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import PosternConfig
import PosternDNS
import PosternPolicy
import PosternRuntime
import PosternSMTPCore
import PosternSpool
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternEngine

/// Counts the read() calls that reach the socket end of the pipeline.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// A reverse-DNS answer the test gives when it wants to.
final class PendingLookup: @unchecked Sendable {
    // @unchecked: used only on the test's EmbeddedEventLoop thread.
    var promise: EventLoopPromise<ReverseDNSResult>?
}

/// One SMTPServerHandler in an EmbeddedChannel with the factory configuration, a real spool
/// and mail log in a temporary home, and a resolver the test controls.
final class HandlerHarness {
    let home: TemporaryHome
    let channel = EmbeddedChannel()
    let reads = ReadCounter()
    let services: EngineServices
    let lookup = PendingLookup()
    var loop: EmbeddedEventLoop { channel.embeddedEventLoop }

    init(answerDNS: Bool = true, budget: MessageBudget = MessageBudget(),
         settings: (inout ListenerSettings) -> Void = { _ in }, policy: (inout PolicyParameters) -> Void = { _ in }) throws {
        home = try TemporaryHome(prefix: "postern-handler")
        var configuration = try home.store.load().configuration
        settings(&configuration.listenerSettings)
        policy(&configuration.listeners[0].hostAccess.defaultParameters)
        let compiled = try CompiledConfiguration(configuration, home: home.home)
        let runtime = ListenerRuntime(compiled: compiled.listeners[0], generation: 1,
                                      settings: configuration.listenerSettings, hostname: "mx.test",
                                      authLimits: configuration.smtpAuthSettings, authChecker: nil)
        let spool = Spool(directory: home.home.queueDirectory)
        _ = try spool.open()
        // The resolver is never asked: the handler gets its peer's name from `resolvePeer` below.
        let dns = try DNSResolver(DNSResolver.Options(servers: "127.0.0.1:9"))
        var services = EngineServices(
            spool: spool, ids: IDAllocator(file: home.home.queueDirectory.appendingPathComponent("ids.json")),
            mailLog: try MailLog(path: home.home.mailLog.path), registry: ConnectionRegistry(),
            threadPool: NIOThreadPool(numberOfThreads: 1), resolver: dns, queued: {}, reverseDNS: ReverseDNS(resolver: dns),
            recipientLimiter: RecipientRateLimiter(), authFailures: AuthFailureLimiter(), authCheckers: AuthCheckers())
        services.messageBudget = budget
        self.services = services
        let lookup = self.lookup
        let resolver = PeerResolver { _, loop in
            if answerDNS { return loop.makeSucceededFuture(.verified("client.example")) }
            let promise = loop.makePromise(of: ReverseDNSResult.self)
            lookup.promise = promise
            return promise.futureResult
        }
        try channel.pipeline.syncOperations.addHandlers([
            reads,
            SMTPServerHandler(runtime: runtime, services: services, logger: Logger(label: "test"), resolvePeer: resolver),
        ])
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
    }

    deinit {
        _ = try? channel.finish()
        services.spool.stop()
        home.remove()
    }

    /// Everything written to the client so far, as text.
    func output() throws -> String {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    func send(_ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    func setWritable(_ writable: Bool) {
        channel.isWritable = writable
        channel.pipeline.fireChannelWritabilityChanged()
    }

    func mailLog() -> String {
        (try? String(contentsOfFile: home.home.mailLog.path, encoding: .utf8)) ?? ""
    }
}

/// Keeps every write pending, as a socket whose peer does not read: the reply to a refused
/// connection is then still on its way and the connection still open.
final class WriteHolder: ChannelOutboundHandler {
    typealias OutboundIn = Any
    var held: [EventLoopPromise<Void>?] = []

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        held.append(promise)
    }
}

@Suite(.serialized) struct SMTPServerHandlerTests {
    @Test func aConnectionRefusedForItsAddressNoLongerCountsWhileItCloses() throws {
        let h = try HandlerHarness(answerDNS: false, policy: { $0.maxConcurrency = 1 })
        try h.channel.pipeline.syncOperations.addHandler(WriteHolder(), position: .first)
        // Another connection from the same address holds the one slot the policy allows.
        #expect(h.services.registry.admitIP(IPAddress("127.0.0.1")!, limit: 1))
        #expect(h.services.registry.openCount == 1)
        h.lookup.promise?.succeed(.verified("client.example"))
        // The 421 has not left yet, but the slot is free: a client that sees the close and
        // connects again must not find the listener full of connections already refused.
        #expect(h.channel.isActive)
        #expect(h.services.registry.openCount == 0)
        #expect(h.mailLog().contains("Receiving Failed: Connection limit exceeded"))
    }

    @Test func aClientThatDoesNotReadItsRepliesStopsBeingRead() throws {
        let h = try HandlerHarness()
        #expect(try h.output().hasPrefix("220 mx.test ESMTP"))
        // The outbound buffer is past its high-water mark: nothing more is answered or read.
        h.setWritable(false)
        let readsBefore = h.reads.reads
        try h.send(String(repeating: "NOOP\r\n", count: 100))
        h.channel.read()
        #expect(try h.output() == "")
        #expect(h.reads.reads == readsBefore)
        // The client reads: the waiting lines are answered and reading resumes.
        h.setWritable(true)
        let replies = try h.output()
        #expect(replies.components(separatedBy: "250 2.0.0 Ok\r\n").count - 1 == 100)
        #expect(h.reads.reads == readsBefore + 1)
    }

    @Test func aClientThatTalksBeforeTheGreetingIsAnsweredAndDropped() throws {
        let h = try HandlerHarness(answerDNS: false)
        try h.send("EHLO hurried.example\r\n")
        #expect(try h.output() == "521 5.5.1 Protocol error\r\n")
        #expect(!h.channel.isActive)
        #expect(h.mailLog().contains("PREGREET 22 bytes from 127.0.0.1 before the greeting; connection dropped"))
        // The lookup answering later greets nobody.
        h.lookup.promise?.succeed(.verified("client.example"))
        #expect(try h.output() == "")
        #expect(!h.mailLog().contains("New SMTP ICID"))
    }

    @Test func theIdleTimerRunsOnTheEventLoopsClock() throws {
        let h = try HandlerHarness { $0.idleTimeout = 30 }
        _ = try h.output()
        h.loop.advanceTime(by: .seconds(20))
        try h.send("NOOP\r\n")
        h.loop.advanceTime(by: .seconds(20))  // 40 s since the greeting, 20 since the NOOP
        #expect(try h.output() == "250 2.0.0 Ok\r\n")
        #expect(h.channel.isActive)
        h.loop.advanceTime(by: .seconds(11))
        #expect(try h.output().hasPrefix("421 Timed out waiting"))
        #expect(!h.channel.isActive)
    }

    /// After QUIT the connection waits for its 221 to be written; a client that never reads
    /// it does not hold the connection past the idle limit.
    @Test func aClientThatNeverReadsTheQuitReplyIsClosedAtTheIdleLimit() throws {
        let h = try HandlerHarness { $0.idleTimeout = 30 }
        _ = try h.output()
        try h.channel.pipeline.syncOperations.addHandler(WriteHolder(), position: .first)
        try h.send("QUIT\r\n")
        #expect(h.channel.isActive)
        h.loop.advanceTime(by: .seconds(31))
        #expect(!h.channel.isActive)
    }

    /// A client that stopped reading (its window full) cannot hold the connection past the
    /// idle limit by never taking the 421 either: one more idle period, and it is closed.
    @Test func aClientThatNeverReadsTheTimeoutIsClosedOneIdlePeriodLater() throws {
        let h = try HandlerHarness { $0.idleTimeout = 30 }
        _ = try h.output()
        try h.channel.pipeline.syncOperations.addHandler(WriteHolder(), position: .first)
        h.loop.advanceTime(by: .seconds(31))  // the 421 is held, the close waits for it
        #expect(h.channel.isActive)
        h.loop.advanceTime(by: .seconds(31))
        #expect(!h.channel.isActive)
    }

    @Test func theConnectionTimeLimitEndsTheSession() throws {
        let h = try HandlerHarness { $0.maxConnectionTime = 60; $0.idleTimeout = 300 }
        _ = try h.output()
        for _ in 0..<5 {
            h.loop.advanceTime(by: .seconds(10))
            try h.send("NOOP\r\n")
        }
        h.loop.advanceTime(by: .seconds(11))
        #expect(try h.output().hasSuffix("421 Exceeded allowable connection time, disconnecting.\r\n"))
        #expect(!h.channel.isActive)
    }

    @Test func aMessageOverTheBudgetGets452AndTheBudgetIsGivenBack() throws {
        let budget = MessageBudget(limit: 1000)
        let h = try HandlerHarness(budget: budget)
        _ = try h.output()
        try h.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nDATA\r\n")
        _ = try h.output()
        try h.send(String(repeating: "0123456789012345678901234567890123456789\r\n", count: 50) + ".\r\n")
        #expect(try h.output() == "452 4.3.1 Insufficient system storage\r\n")
        #expect(budget.inUse == 0)
        #expect(h.mailLog().contains("Receiving Failed: message memory budget exhausted"))
        // The session goes on.
        try h.send("NOOP\r\n")
        #expect(try h.output() == "250 2.0.0 Ok\r\n")
    }

    @Test func dataIsRefusedWhileTheBudgetIsSpent() throws {
        let budget = MessageBudget(limit: 1000)
        let h = try HandlerHarness(budget: budget)
        _ = try h.output()
        #expect(budget.charge(1000))  // other connections hold it all
        try h.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nDATA\r\n")
        #expect(try h.output().hasSuffix("452 4.3.1 Insufficient system storage\r\n"))
        budget.release(1000)
        try h.send("DATA\r\n")
        #expect(try h.output() == "354 go ahead\r\n")
    }

    @Test func aRefusedMessageGivesItsBytesBack() throws {
        let budget = MessageBudget(limit: 1_000_000)
        let h = try HandlerHarness(budget: budget)
        _ = try h.output()
        try h.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nDATA\r\n")
        _ = try h.output()
        try h.send("Subject: bare\r\n\r\none\ntwo\r\n.\r\n")
        #expect(try h.output() == "550 5.5.2 Error: bare <CR> or <LF> received\r\n")
        #expect(budget.inUse == 0)
    }

    @Test func aDroppedConnectionGivesItsMessageBytesBack() throws {
        let budget = MessageBudget(limit: 1_000_000)
        let h = try HandlerHarness(budget: budget)
        _ = try h.output()
        try h.send("EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nDATA\r\n")
        try h.send(String(repeating: "x", count: 500) + "\r\n")
        #expect(budget.inUse == 502)
        h.channel.pipeline.fireChannelInactive()
        #expect(budget.inUse == 0)
    }

    @Test func shutdownAnswersAnIdleSession() throws {
        let h = try HandlerHarness()
        _ = try h.output()
        try h.send("EHLO c.example\r\n")
        _ = try h.output()
        h.channel.pipeline.fireUserInboundEventTriggered(EngineShutdownEvent())
        #expect(try h.output() == "421 4.3.2 Service shutting down, closing transmission channel\r\n")
        #expect(!h.channel.isActive)
    }
}

@Suite struct MailLogTextTests {
    @Test func controlCharactersNeverReachTheLog() {
        #expect(MailLog.printable("Subject \u{1b}[31mred\r\nICID 1 fake\u{7f}\tx") == "Subject ?[31mred??ICID 1 fake??x")
        #expect(MailLog.printable("plain ünïcode") == "plain ünïcode")
    }

    @Test func receivedHeadersAreCounted() {
        let message = ByteBuffer(string: "Received: from a\r\n  by b\r\nreceived: from c\r\nSubject: x\r\n\r\nReceived: body\r\n")
        #expect(MessageSummary(message).receivedHeaders == 2)
    }
}
