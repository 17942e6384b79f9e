import Foundation
import Logging
import NIOCore
import NIOPosix
import PosternConfig
import PosternPolicy
import PosternSMTPCore
import PosternSpool
import PosternTLS
import PosternTLSChannel

/// Sent down a connection's pipeline when the engine stops.
struct EngineShutdownEvent {}

/// One SMTP connection: frames the input, feeds the session state machine, and carries out
/// its actions (replies, logs, STARTTLS, the spool). The runtime it was accepted under stays
/// with it to the end.
final class SMTPServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = SMTPReply

    let runtime: ListenerRuntime
    let services: EngineServices
    private let logger: Logger
    private var framer = SMTPInputFramer()
    var session: SMTPSession?
    private var peer: IPAddress?
    private var icid = 0
    private var countedIP: IPAddress?
    private var admitted = false
    /// The message being received, and whether it already passed the size limit.
    private var message: ByteBuffer?
    private var messageSize = 0
    private var oversize = false
    /// A read() held back while the session waits for the spool or the handshake.
    private var readPending = false
    private var lastActivity = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?
    private var lifetimeTimer: Scheduled<Void>?
    private var stopping = false
    /// Input beyond this, buffered while the session cannot take it, stops reading.
    private static let maxBufferedInput = 256 * 1024

    init(runtime: ListenerRuntime, services: EngineServices, logger: Logger) {
        self.runtime = runtime
        self.services = services
        self.logger = logger
    }

    // MARK: Connection

    func channelActive(context: ChannelHandlerContext) {
        guard let remote = context.channel.remoteAddress?.ipAddress else {
            context.close(promise: nil)
            return
        }
        peer = remote
        let admission = services.registry.open(
            channel: context.channel, listener: runtime.listener.name, listenerLimit: runtime.listener.maxConcurrency,
            overallLimit: runtime.settings.maxConnections, generation: runtime.generation)
        guard admission == .admitted else {
            refuse(context: context, Replies.tooManyConnections)
            return
        }
        admitted = true
        let hat = runtime.compiled.hostAccess
        let loop = context.eventLoop
        // The mail log names the verified host of every connection, so the lookup always runs.
        services.reverseDNS.lookup(remote, timeout: .seconds(Int64(runtime.settings.reverseDNSTimeout)), on: loop)
            .assumeIsolated()
            .whenSuccess { [self] reverse in
                decide(context: context, peer: PeerFacts(address: remote, reverseDNS: reverse), hat: hat)
            }
        context.fireChannelActive()
    }

    private func refuse(context: ChannelHandlerContext, _ reply: SMTPReply) {
        context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// The HAT decides, then the session greets (or the connection is refused).
    private func decide(context: ChannelHandlerContext, peer facts: PeerFacts, hat: CompiledHostAccess) {
        guard context.channel.isActive else { return }
        let decision = hat.evaluate(facts)
        let match: HATMatch
        switch decision {
        case .temporaryFailure:
            refuse(context: context, Replies.dnsTemporaryFailure)
            return
        case .matched(let m):
            match = m
        }
        let sbrs = facts.reputation.map { String(format: "%.1f", $0) } ?? "None"
        if match.behavior == .tcpRefuse {
            services.mailLog.write(.policyMatch(icid: 0, behavior: match.behavior.rawValue, group: match.group,
                                                entry: match.entry, sbrs: sbrs))
            context.close(promise: nil)
            return
        }
        guard let icid = services.ids.allocate(.icid) else {
            refuse(context: context, Replies.noConnectionID)
            return
        }
        self.icid = icid
        services.mailLog.write(.newConnection(
            icid: icid, interface: runtime.compiled.interface.name,
            interfaceAddress: runtime.compiled.interface.address.description, remote: facts.address.description,
            reverseName: facts.reverseDNS.logName, verified: facts.reverseDNS.isVerified))
        services.mailLog.write(.policyMatch(icid: icid, behavior: match.behavior.rawValue, group: match.group,
                                            entry: match.entry, sbrs: sbrs))
        guard services.registry.admitIP(facts.address, limit: match.parameters.maxConcurrency) else {
            services.mailLog.write(.receivingFailed(icid: icid, reason: "Connection limit exceeded"))
            refuse(context: context, Replies.tooManyConnectionsFromIP)
            return
        }
        countedIP = facts.address
        let hostname = match.parameters.bannerHostname.isEmpty ? runtime.hostname : match.parameters.bannerHostname
        let sessionContext = SMTPSession.Context(
            icid: icid, hostname: hostname, listenerName: runtime.listener.name, listenerType: runtime.listener.type,
            peer: facts, match: match, recipientAccess: runtime.compiled.recipientAccess,
            defaultDomain: runtime.listener.defaultDomain, tlsAvailable: true,
            maxHeaderLines: runtime.settings.maxHeaderLines, recipientLimiter: services.recipientLimiter,
            acquireTLSSlot: { [registry = services.registry, limit = runtime.settings.maxTLSConnections] in
                registry.acquireTLS(limit: limit)
            }, auth: authContext)
        let ids = services.ids
        session = SMTPSession(context: sessionContext, allocateMID: { ids.allocate(.mid) })
        startTimers(context: context)
        perform(session!.start(), context: context)
        processInput(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        lifetimeTimer?.cancel()
        if var s = session {
            perform(s.connectionClosed(), context: context)
            session = s
            if s.holdsTLSSlot { services.registry.releaseTLS() }
            services.mailLog.write(.close(icid: icid))
        }
        if admitted {
            services.registry.close(channel: context.channel, listener: runtime.listener.name,
                                    generation: runtime.generation, countedIP: countedIP)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["icid": "\(icid)", "error": "\(error)"])
        context.close(promise: nil)
    }

    // MARK: Input

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        lastActivity = .now()
        framer.append(&bytes)
        processInput(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Hands buffered input to the session for as long as it can take it.
    func processInput(context: ChannelHandlerContext) {
        while let current = session, current.acceptsInput, let event = framer.next() {
            switch event {
            case .line(let line):
                let actions = session!.receive(line: line)
                if perform(actions, context: context) == .stopReading { return }
            case .lineTooLong:
                perform(session!.lineTooLong(), context: context)
            case .data(var chunk):
                messageSize += chunk.readableBytes
                if messageSize > current.context.match.parameters.maxMessageSize {
                    oversize = true
                    message = nil
                } else if !oversize {
                    message?.writeBuffer(&chunk)
                }
            case .endOfData:
                let summary = message.map(MessageSummary.init) ?? MessageSummary(ByteBuffer())
                let actions = session!.dataComplete(
                    size: messageSize, oversize: oversize, headerLines: summary.headerLines,
                    messageID: summary.messageID, subject: summary.subject)
                perform(actions, context: context)
            }
        }
        context.flush()
        if session?.acceptsInput == false && framer.bufferedByteCount > SMTPServerHandler.maxBufferedInput {
            return  // stay paused: read() is held back below
        }
        if readPending, session?.acceptsInput ?? false {
            readPending = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        // Backpressure: while the session cannot take input, don't read more of it.
        if let session, !session.acceptsInput, framer.bufferedByteCount > SMTPServerHandler.maxBufferedInput {
            readPending = true
            return
        }
        context.read()
    }

    // MARK: Actions

    enum Continuation {
        case keepReading
        case stopReading
    }

    @discardableResult
    func perform(_ actions: [SMTPSession.Action], context: ChannelHandlerContext) -> Continuation {
        var continuation = Continuation.keepReading
        for (index, action) in actions.enumerated() {
            switch action {
            case .reply(let reply):
                if index + 1 < actions.count, actions[index + 1] == .close {
                    // The last words: close once they are written.
                    context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in
                        context.close(promise: nil)
                    }
                } else {
                    context.write(wrapOutboundOut(reply), promise: nil)
                }
            case .log(let event):
                services.mailLog.write(event)
                switch event {
                case .recipientRejected, .recipientRateLimited: services.registry.count { $0.recipientsRejected += 1 }
                case .authSucceeded: services.registry.count { $0.authSuccesses += 1 }
                case .authFailed: services.registry.count { $0.authFailures += 1 }
                default: break
                }
            case .beginData:
                framer.beginData()
                message = context.channel.allocator.buffer(capacity: 4096)
                messageSize = 0
                oversize = false
            case .startTLS(let policy):
                context.flush()  // the 220 leaves in plaintext before TLS is in the pipeline
                startTLS(context: context, policy: policy)
                continuation = .stopReading
            case .store(let envelope):
                store(envelope, context: context)
                continuation = .stopReading
            case .authenticate(let credentials):
                authenticate(credentials, context: context)
                continuation = .stopReading
            case .pause(let milliseconds):
                servePenalty(milliseconds, context: context)
                continuation = .stopReading
            case .close:
                if index == 0 || actions[index - 1].isReply == false {
                    context.flush()
                    context.close(promise: nil)
                }
                continuation = .stopReading
            }
        }
        return continuation
    }

    private func startTLS(context: ChannelHandlerContext, policy: SMTPSession.ClientCertificatePolicy) {
        // Bytes pipelined behind STARTTLS were sent in the clear: they must never be read
        // as if they came over TLS (CVE-2011-0411).
        let discarded = framer.discardBuffered()
        if discarded > 0 { services.mailLog.write(.plaintextDiscarded(icid: icid, bytes: discarded)) }
        let verification: TLSConnection.PeerVerification
        switch policy {
        case .notRequested: verification = .none
        case .verifyIfPresented: verification = .ifPresented
        case .required: verification = .required
        }
        do {
            let connection = try TLSConnection(context: runtime.compiled.tls, verification: verification)
            try context.pipeline.syncOperations.addHandler(STARTTLSHandler(connection: connection), position: .first)
        } catch {
            perform(session!.tlsFailed(reason: "\(error)"), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let tls as TLSEvent:
            guard session != nil else { return }
            switch tls {
            case .handshakeCompleted(let info, _):
                let discarded = framer.discardBuffered()
                if discarded > 0 { services.mailLog.write(.plaintextDiscarded(icid: icid, bytes: discarded)) }
                let actions = session!.tlsEstablished(SMTPSession.TLSInfo(info))
                // The session refuses a session that lacks the certificate its policy demands.
                let refused = session?.state == .closed
                services.registry.count { if refused { $0.tlsFailures += 1 } else { $0.tlsSessions += 1 } }
                perform(actions, context: context)
                processInput(context: context)
            case .handshakeFailed(let reason):
                services.registry.count { $0.tlsFailures += 1 }
                perform(session!.tlsFailed(reason: reason), context: context)
            }
        case is EngineShutdownEvent:
            stopping = true
            switch session?.state {
            case nil: context.close(promise: nil)
            case .greeted?, .idle?, .rejected?, .authenticating?: perform(session!.shutdown(), context: context)
            case .connected?, .transaction?, .data?, .storing?, .handshaking?, .closed?, .verifying?, .authPenalty?:
                break  // let it finish
            }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: Spool

    private func store(_ envelope: Envelope, context: ChannelHandlerContext) {
        let body = message ?? ByteBuffer()
        message = nil
        let received = runtime.listener.addReceivedHeader
            ? envelope.receivedHeader(byHost: runtime.hostname, esmtp: true) : ""
        // The spool copies the bytes into its next group commit and answers from its writer
        // thread once they are on disk; the answer hops back to this connection's loop.
        let written = context.eventLoop.makePromise(of: Void.self)
        do {
            let json = try JSONEncoder.spool.encode(envelope)
            body.withUnsafeReadableBytes { raw in
                services.spool.store(id: envelope.mid, envelope: json, prefix: Data(received.utf8), body: raw) { result in
                    switch result {
                    case .success: written.succeed(())
                    case .failure(let failure): written.fail(failure)
                    }
                }
            }
        } catch {
            written.fail(error)
        }
        written.futureResult
        .assumeIsolated()
        .whenComplete { [self] result in
            guard session != nil else { return }
            switch result {
            case .success:
                services.registry.count {
                    $0.messagesAccepted += 1
                    $0.recipientsAccepted += envelope.recipients.count
                }
                services.queued()
                perform(session!.stored(true), context: context)
            case .failure(let error):
                logger.error("spool write failed", metadata: ["mid": "\(envelope.mid)", "error": "\(error)"])
                services.mailLog.write(.receivingFailed(icid: icid, reason: "queue write failed: \(error)"))
                perform(session!.stored(false), context: context)
            }
            lastActivity = .now()
            if stopping, session?.state == .idle { perform(session!.shutdown(), context: context) }
            processInput(context: context)
        }
    }

    // MARK: Timers

    private func startTimers(context: ChannelHandlerContext) {
        let idle = TimeAmount.seconds(Int64(runtime.settings.idleTimeout))
        scheduleIdleCheck(context: context, after: idle)
        lifetimeTimer = context.eventLoop.assumeIsolated().scheduleTask(
            in: .seconds(Int64(runtime.settings.maxConnectionTime))
        ) { [self] in
            guard session != nil else { return }
            perform(session!.connectionTimeLimit(), context: context)
        }
    }

    /// One timer per connection, re-armed from the last activity rather than on every line.
    private func scheduleIdleCheck(context: ChannelHandlerContext, after delay: TimeAmount) {
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            let limit = TimeAmount.seconds(Int64(runtime.settings.idleTimeout))
            let quiet = NIODeadline.now() - lastActivity
            if quiet >= limit, session?.state != .storing {
                if session != nil { perform(session!.idleTimeout(), context: context) }
            } else {
                scheduleIdleCheck(context: context, after: max(limit - quiet, .seconds(1)))
            }
        }
    }
}

extension SMTPSession.Action {
    var isReply: Bool {
        if case .reply = self { return true }
        return false
    }
}

extension JSONEncoder {
    /// One-line JSON for spool envelopes.
    static var spool: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension SocketAddress {
    var ipAddress: IPAddress? {
        switch self {
        case .v4(let a):
            return withUnsafePointer(to: a.address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { IPAddress(sockaddr: $0) }
            }
        case .v6(let a):
            return withUnsafePointer(to: a.address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { IPAddress(sockaddr: $0) }
            }
        case .unixDomainSocket:
            return nil
        }
    }
}
