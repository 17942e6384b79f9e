import Foundation
import Logging
import NIOCore
import PosternConfig
import PosternControl
import PosternPolicy
import PosternSMTPCore
import PosternSpool
import PosternTLS
import PosternTLSChannel

/// Sent down a connection's pipeline when the engine stops.
struct EngineShutdownEvent {}

/// One SMTP connection: frames the input, feeds the session state machine, and carries out
/// its actions (replies, logs, STARTTLS, the spool). The runtime it was accepted under stays
/// with it to the end. Admission and the peer lookup are in `+Admission`, the message
/// being received in `+Message`, the timers in `+Timers`.
///
/// Memory stays bounded whatever the client does (DESIGN.md, "Hostile input"): no reading
/// while the channel is not writable (a client that pipelines and never reads its replies
/// stops being read once NIO's outbound buffer passes its high-water mark), nor while more
/// than `maxBufferedInput` bytes wait in the framer; nothing is kept of bytes sent before
/// the greeting; message bytes count against the engine's `MessageBudget`.
final class SMTPServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let runtime: ListenerRuntime
    let services: EngineServices
    let logger: Logger
    /// Where the peer's reverse-DNS answer comes from (`+Admission`); tests answer it themselves.
    let resolvePeer: PeerResolver
    var framer = SMTPInputFramer()
    var session: SMTPSession?
    var icid = 0
    var countedIP: IPAddress?
    var admitted = false
    /// Whether this connection is in the TLS report yet (once: succeeded, failed or unencrypted).
    var tlsCounted = false
    /// Set once the client talked before the greeting: everything else it sends is ignored.
    var droppedForPregreet = false
    var message = MessageBuffer()
    /// A read() held back by backpressure, to be issued once it is lifted.
    var readPending = false
    var lastActivity = NIODeadline.uptimeNanoseconds(0)
    /// The idle and lifetime limits' one timer (`+Timers`), and when the lifetime ends.
    var timer: Scheduled<Void>?
    var lifetimeDeadline = NIODeadline.distantFuture
    var stopping = false
    /// Input waiting in the framer beyond this stops reading (256 KiB: a full pipelined
    /// batch of commands many times over).
    static let maxBufferedInput = 256 * 1024
    /// NIO's outbound buffer marks: above `high` the channel is not writable and nothing more
    /// is read; below `low` reading resumes (NIO's defaults, named).
    static let writeBufferWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 32 * 1024, high: 64 * 1024)

    init(runtime: ListenerRuntime, services: EngineServices, logger: Logger, resolvePeer: PeerResolver? = nil) {
        self.runtime = runtime
        self.services = services
        self.logger = logger
        self.resolvePeer = resolvePeer
            ?? PeerResolver.dns(services, timeout: .seconds(Int64(runtime.settings.reverseDNSTimeout)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        message.release(services.messageBudget)
        if session != nil {
            perform(session!.connectionClosed(), context: context)
            if !tlsCounted { countTLS(.unencrypted) }
            if session!.holdsTLSSlot { services.registry.releaseTLS() }
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
        lastActivity = context.eventLoop.now
        guard session != nil else {
            pregreet(context: context, bytes: bytes.readableBytes)
            return
        }
        framer.append(&bytes)
        processInput(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    /// Hands buffered input to the session for as long as it can take it and its replies
    /// can be written.
    func processInput(context: ChannelHandlerContext) {
        // `session?.acceptsInput`, not `let current = session`: the session is a large value,
        // and binding it copies it (a retain of everything it holds) on every line.
        while session?.acceptsInput == true, context.channel.isWritable, let event = framer.next() {
            switch event {
            case .line(let line):
                let actions = session!.receive(line: line)
                if perform(actions, context: context) == .stopReading { return }
            case .lineTooLong:
                perform(session!.lineTooLong(), context: context)
            case .data(var chunk):
                message.append(&chunk, limit: session!.context.match.parameters.maxMessageSize,
                               budget: services.messageBudget)
            case .endOfData:
                perform(completeMessage(), context: context)
            }
        }
        context.flush()
        resumeReadingIfAllowed(context: context)
    }

    /// Whether reading must wait: replies are not going out, or enough input is waiting.
    func readingHeldBack(_ context: ChannelHandlerContext) -> Bool {
        !context.channel.isWritable || framer.bufferedByteCount > SMTPServerHandler.maxBufferedInput
    }

    func resumeReadingIfAllowed(context: ChannelHandlerContext) {
        if readPending && !readingHeldBack(context) {
            readPending = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if readingHeldBack(context) {
            readPending = true
            return
        }
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The client read its replies: take up the lines waiting in the framer, then read.
        if context.channel.isWritable { processInput(context: context) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Actions

    enum Continuation {
        case keepReading
        case stopReading
    }

    /// A reply in its wire form, written into one buffer the size of it.
    func encoded(_ reply: SMTPReply, _ context: ChannelHandlerContext) -> NIOAny {
        var buffer = context.channel.allocator.buffer(capacity: reply.wireLength)
        buffer.writeSMTPReply(reply)
        return wrapOutboundOut(buffer)
    }

    @discardableResult
    func perform(_ actions: [SMTPSession.Action], context: ChannelHandlerContext) -> Continuation {
        var continuation = Continuation.keepReading
        for (index, action) in actions.enumerated() {
            switch action {
            case .reply(let reply):
                if index + 1 < actions.count, actions[index + 1] == .close {
                    if session?.tls != nil {
                        // The last words under TLS: the TLS handler sends its close_notify in
                        // the same write and closes once both are out.
                        context.write(encoded(reply, context), promise: nil)
                        context.close(promise: nil)
                    } else {
                        // In plaintext: close once they are written.
                        context.writeAndFlush(encoded(reply, context)).assumeIsolated().whenComplete { _ in
                            context.close(promise: nil)
                        }
                    }
                } else {
                    context.write(encoded(reply, context), promise: nil)
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
                message.begin(allocator: context.channel.allocator)
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
            countTLS(.failed)
            perform(session!.tlsFailed(reason: "\(error)"), context: context)
        }
    }

    /// Counts this connection once in the TLS report, under its mail flow policy's TLS level.
    private func countTLS(_ outcome: TLSReport.Outcome) {
        guard session != nil, !tlsCounted else { return }
        tlsCounted = true
        let key = TLSReport.Key(.incoming, session!.context.match.parameters.tls, outcome).name
        services.registry.count { $0.tlsByLevel[key, default: 0] += 1 }
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
                countTLS(refused ? .failed : .succeeded)
                perform(actions, context: context)
                // Nothing is buffered (it was just discarded) and nothing is flushed here: the
                // TLS handler is still reading, and the end of that read flushes the tickets
                // with the reply to the command that came with the client's Finished.
                resumeReadingIfAllowed(context: context)
            case .handshakeFailed(let reason):
                services.registry.count { $0.tlsFailures += 1 }
                countTLS(.failed)
                perform(session!.tlsFailed(reason: reason), context: context)
            case .failedAfterHandshake(let reason):
                // Not a failed negotiation: the session was encrypted. The connection closes;
                // a message in flight is logged as lost when it does.
                services.mailLog.write(.tlsError(icid: icid, reason: reason))
                services.registry.count { $0.tlsErrors += 1 }
            case .closedWithoutNotify:
                guard session?.state != .closed else { break }  // after QUIT a bare close is fine
                services.mailLog.write(.tlsUncleanClose(icid: icid))
                services.registry.count { $0.tlsUncleanCloses += 1 }
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
}

extension SMTPSession.Action {
    var isReply: Bool {
        if case .reply = self { return true }
        return false
    }
}
