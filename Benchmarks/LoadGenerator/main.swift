import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PosternConfig
import PosternEngine
import PosternSMTPCore
import PosternTLS
import PosternTLSChannel

/// A load generator for SMTP servers: N concurrent connections, each running full SMTP
/// transactions (EHLO, optional STARTTLS with the project's OpenSSL client, MAIL, RCPT,
/// DATA, QUIT) for a fixed time. Prints one JSON object with the results.
struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "postern-load",
                                                    abstract: "SMTP load generator for scripts/bench.")

    @Option var host = "127.0.0.1"
    @Option var port: Int
    @Option(help: "Concurrent connections.") var connections = 50
    @Option(help: "Seconds to run.") var duration: Double = 10
    @Option(help: "Messages per connection (0: handshake only: EHLO, STARTTLS, QUIT).") var messages = 1
    @Option(help: "Message size in bytes.") var size = 4096
    @Flag(help: "STARTTLS before the transactions.") var starttls = false
    @Flag(help: "Each client offers the TLS session of its last connection again (bench scenario d).")
    var reuseSessions = false
    @Option(help: "TLS methods for the client.") var methods = "tlsv1.2/tlsv1.3"
    @Option(help: "Cipher string for the client.") var ciphers = "HIGH:!aNULL"
    @Option(help: "Event-loop threads.") var threads = System.coreCount

    func run() throws {
        let settings = SSLServiceSettings(methods: TLSMethods(text: methods) ?? FactoryDefaults.sslService.methods,
                                          ciphers: ciphers, tls13Suites: FactoryDefaults.tls13Suites)
        let tls = try TLSContext(role: .client, settings: settings, identity: nil)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        defer { try? group.syncShutdownGracefully() }
        let stats = Stats()
        let body = Load.body(size: size)
        let plan = Plan(host: host, port: port, messages: messages, starttls: starttls, body: body, tls: tls,
                        reuseSessions: reuseSessions)
        let start = NIODeadline.now()
        let deadline = start + .nanoseconds(Int64(duration * 1e9))
        let usageBefore = Load.cpuSeconds()
        let done = DispatchGroup()
        for _ in 0..<connections {
            done.enter()
            Worker(group: group, plan: plan, deadline: deadline, stats: stats) { done.leave() }.next()
        }
        done.wait()
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        let cpu = Load.cpuSeconds() - usageBefore
        print(stats.json(elapsed: elapsed, cpuSeconds: cpu, cores: System.coreCount))
    }

    /// A message of `size` bytes of headers and text, CRLF lines, dot-stuffed, with the final `.`.
    static func body(size: Int) -> ByteBuffer {
        var text = "From: <bench@load.example>\r\nTo: <sink@example.com>\r\nSubject: load\r\n\r\n"
        let line = String(repeating: "x", count: 76) + "\r\n"
        while text.utf8.count + line.utf8.count <= size { text += line }
        text += String(repeating: "y", count: max(0, size - text.utf8.count - 2)) + "\r\n"
        return ByteBuffer(bytes: DotStuffing.encode(Array(text.utf8)))
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

struct Plan: Sendable {
    let host: String
    let port: Int
    let messages: Int
    let starttls: Bool
    let body: ByteBuffer
    let tls: TLSContext
    let reuseSessions: Bool
}

/// Results from every connection; one lock, touched once per transaction.
final class Stats: Sendable {
    private struct State {
        var messages = 0
        var handshakes = 0
        /// Handshakes the server completed by resuming the session offered.
        var resumed = 0
        var connections = 0
        var transactionNanos: [Int64] = []
        var handshakeNanos: [Int64] = []
        var errors: [String: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())

    func message(_ nanos: Int64) { state.withLockedValue { $0.messages += 1; $0.transactionNanos.append(nanos) } }
    func handshake(_ nanos: Int64, resumed: Bool) {
        state.withLockedValue {
            $0.handshakes += 1
            $0.handshakeNanos.append(nanos)
            if resumed { $0.resumed += 1 }
        }
    }
    func connection() { state.withLockedValue { $0.connections += 1 } }
    func error(_ kind: String) { state.withLockedValue { $0.errors[kind, default: 0] += 1 } }

    func json(elapsed: Double, cpuSeconds: Double, cores: Int) -> String {
        state.withLockedValue { s in
            func percentile(_ values: [Int64], _ p: Double) -> Double {
                guard !values.isEmpty else { return 0 }
                let sorted = values.sorted()
                return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1e6
            }
            let errors = s.errors.map { "\"\($0.key)\": \($0.value)" }.sorted().joined(separator: ", ")
            return """
                {"elapsed": \(elapsed), "messages": \(s.messages), "messages_per_second": \(Double(s.messages) / elapsed), \
                "handshakes": \(s.handshakes), "handshakes_per_second": \(Double(s.handshakes) / elapsed), \
                "resumed": \(s.resumed), "resumed_per_second": \(Double(s.resumed) / elapsed), \
                "connections": \(s.connections), "transaction_p50_ms": \(percentile(s.transactionNanos, 0.5)), \
                "transaction_p99_ms": \(percentile(s.transactionNanos, 0.99)), \
                "handshake_p50_ms": \(percentile(s.handshakeNanos, 0.5)), \
                "generator_cpu_share": \(cpuSeconds / (elapsed * Double(cores))), \
                "errors": {\(errors)}, "failed": \(s.errors.values.reduce(0, +))}
                """
        }
    }
}

/// One concurrent client: connection after connection until the deadline.
final class Worker: Sendable {
    let group: any EventLoopGroup
    let plan: Plan
    let deadline: NIODeadline
    let stats: Stats
    let finished: @Sendable () -> Void
    /// The TLS session of this client's last connection, offered on its next one.
    let session = NIOLockedValueBox<TLSSession?>(nil)

    init(group: any EventLoopGroup, plan: Plan, deadline: NIODeadline, stats: Stats, finished: @escaping @Sendable () -> Void) {
        self.group = group
        self.plan = plan
        self.deadline = deadline
        self.stats = stats
        self.finished = finished
    }

    func next() {
        guard NIODeadline.now() < deadline else { return finished() }
        let loop = group.next()
        let promise = loop.makePromise(of: Void.self)
        let plan = self.plan
        let stats = self.stats
        let offer = plan.reuseSessions ? session.withLockedValue { $0 } : nil
        let keep: @Sendable (TLSSession?) -> Void = { [session] kept in
            if let kept { session.withLockedValue { $0 = kept } }
        }
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LoadClientHandler(plan: plan, stats: stats, offer: offer, keep: keep,
                                                                                  done: promise))
                }
            }
            .connect(host: plan.host, port: plan.port)
            .whenFailure { error in
                stats.error("connect")
                promise.succeed(())
            }
        promise.futureResult.whenComplete { _ in self.next() }
    }
}

/// One SMTP conversation of the load generator.
final class LoadClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Step {
        case greeting, ehlo, starttls, handshaking, ehloAfterTLS, mail, rcpt, data, body, quit, done
    }

    private let plan: Plan
    private let stats: Stats
    private let done: EventLoopPromise<Void>
    private let offer: TLSSession?
    private let keep: @Sendable (TLSSession?) -> Void
    private var connection: TLSConnection?
    private var framer = SMTPInputFramer(lineLimit: 4096)
    private var parser = SMTPReplyParser()
    private var step = Step.greeting
    private var sent = 0
    private var started = NIODeadline.now()
    private var failed = false

    init(plan: Plan, stats: Stats, offer: TLSSession?, keep: @escaping @Sendable (TLSSession?) -> Void,
         done: EventLoopPromise<Void>) {
        self.plan = plan
        self.stats = stats
        self.offer = offer
        self.keep = keep
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        framer.append(&bytes)
        while step != .handshaking, case .line(let line)? = framer.next() {
            do {
                guard let reply = try parser.feed(line) else { continue }
                handle(reply, context: context)
            } catch {
                fail("malformed reply", context: context)
                return
            }
        }
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    private func handle(_ reply: SMTPReply, context: ChannelHandlerContext) {
        switch step {
        case .greeting:
            guard reply.code == 220 else { return fail("greeting \(reply.code)", context: context) }
            step = .ehlo
            send("EHLO load.example\r\n", context: context)
        case .ehlo:
            guard reply.code == 250 else { return fail("ehlo \(reply.code)", context: context) }
            if plan.starttls {
                step = .starttls
                started = .now()
                send("STARTTLS\r\n", context: context)
            } else {
                startTransaction(context: context)
            }
        case .starttls:
            guard reply.code == 220 else { return fail("starttls \(reply.code)", context: context) }
            step = .handshaking
            do {
                let connection = try TLSConnection(context: plan.tls, resuming: offer)
                self.connection = connection
                try context.pipeline.syncOperations.addHandler(STARTTLSHandler(connection: connection), position: .first)
            } catch {
                fail("tls setup", context: context)
            }
        case .handshaking:
            break
        case .ehloAfterTLS:
            guard reply.code == 250 else { return fail("ehlo after tls \(reply.code)", context: context) }
            startTransaction(context: context)
        case .mail:
            guard reply.code == 250 else { return fail("mail \(reply.code)", context: context) }
            step = .rcpt
        case .rcpt:
            guard reply.code == 250 else { return fail("rcpt \(reply.code)", context: context) }
            step = .data
        case .data:
            guard reply.code == 354 else { return fail("data \(reply.code)", context: context) }
            step = .body
            context.writeAndFlush(wrapOutboundOut(plan.body), promise: nil)
        case .body:
            guard reply.code == 250 else { return fail("message \(reply.code)", context: context) }
            stats.message((NIODeadline.now() - started).nanoseconds)
            sent += 1
            startTransaction(context: context)
        case .quit:
            step = .done
            context.close(promise: nil)
        case .done:
            break
        }
    }

    private func startTransaction(context: ChannelHandlerContext) {
        guard sent < plan.messages else {
            step = .quit
            send("QUIT\r\n", context: context)
            return
        }
        step = .mail
        started = .now()
        // PIPELINING (RFC 2920): MAIL, RCPT and DATA in one write; both servers offer it.
        send("MAIL FROM:<bench@load.example>\r\nRCPT TO:<sink@example.com>\r\nDATA\r\n", context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event as? TLSEvent {
        case .handshakeCompleted?:
            stats.handshake((NIODeadline.now() - started).nanoseconds, resumed: connection?.sessionReused ?? false)
            step = .ehloAfterTLS
            send("EHLO load.example\r\n", context: context)
        case .handshakeFailed?:
            fail("tls handshake", context: context)
        case .failedAfterHandshake?:
            fail("tls error", context: context)
        case .closedWithoutNotify?:
            break  // channelInactive counts it
        case nil:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func fail(_ kind: String, context: ChannelHandlerContext) {
        guard !failed else { return }
        failed = true
        stats.error(kind)
        context.close(promise: nil)
    }

    func channelActive(context: ChannelHandlerContext) {
        stats.connection()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // After close_notify (QUIT): in TLS 1.3 the session exists once the ticket was read.
        if plan.reuseSessions, step == .done { keep(connection?.session) }
        if step != .done && !failed {
            failed = true
            stats.error("connection lost")
        }
        done.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("io", context: context)
    }
}

Load.main()
