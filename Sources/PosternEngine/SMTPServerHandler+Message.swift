import Foundation
import NIOCore
import PosternConfig
import PosternSMTPCore
import PosternSpool

/// The message being received: its bytes (while they fit the policy's size and the engine's
/// budget), its size, and what it charged to the budget.
struct MessageBuffer {
    private(set) var body: ByteBuffer?
    private(set) var size = 0
    /// Past the policy's maximum size: the bytes are dropped, the end gets 552.
    private(set) var oversize = false
    /// Past the engine's budget of message bytes: the bytes are dropped, the end gets 452.
    private(set) var overBudget = false
    /// Bytes taken from the budget, given back when the message leaves memory.
    private var charged = 0

    mutating func begin(allocator: ByteBufferAllocator) {
        body = allocator.buffer(capacity: 4096)
        size = 0
        oversize = false
        overBudget = false
        charged = 0
    }

    mutating func append(_ chunk: inout ByteBuffer, limit: Int, budget: MessageBudget) {
        size += chunk.readableBytes
        guard body != nil else { return }
        if size > limit {
            oversize = true
        } else if budget.charge(chunk.readableBytes) {
            charged += chunk.readableBytes
            body!.writeBuffer(&chunk)
            return
        } else {
            overBudget = true
        }
        body = nil
        release(budget)
    }

    /// Hands the body over (to the spool) and forgets it; the caller releases what it charged
    /// once the spool has written its copy.
    mutating func take() -> (body: ByteBuffer, charged: Int) {
        defer {
            body = nil
            charged = 0
        }
        return (body ?? ByteBuffer(), charged)
    }

    mutating func release(_ budget: MessageBudget) {
        budget.release(charged)
        charged = 0
    }
}

extension SMTPServerHandler {
    /// The `.` ended the message: what the session says of it. Unless it goes to the spool,
    /// its bytes leave memory now (refused, or dropped by a blackhole listener).
    func completeMessage() -> [SMTPSession.Action] {
        let summary = message.body.map(MessageSummary.init) ?? MessageSummary(ByteBuffer())
        defer {
            if session?.state != .storing {
                message.release(services.messageBudget)
                _ = message.take()
            }
        }
        return session!.dataComplete(
            size: message.size, oversize: message.oversize, overBudget: message.overBudget,
            bareLineEnding: framer.sawBareLineEnding, headerLines: summary.headerLines,
            receivedHeaders: summary.receivedHeaders, messageID: summary.messageID, subject: summary.subject)
    }

    func store(_ envelope: Envelope, context: ChannelHandlerContext) {
        let (body, charged) = message.take()
        let received = runtime.listener.addReceivedHeader
            ? envelope.receivedHeader(byHost: runtime.hostname, esmtp: true) : ""
        // The spool copies the bytes into its next group commit and answers from its writer
        // thread once they are on disk; the answer hops back to this connection's loop.
        let written = context.eventLoop.makePromise(of: Void.self)
        do {
            let json = try JSONCoding.compact.encode(envelope)
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
            // The spool's copy waits in its group commit until now: it counted until here.
            services.messageBudget.release(charged)
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
            lastActivity = context.eventLoop.now
            if stopping, session?.state == .idle { perform(session!.shutdown(), context: context) }
            processInput(context: context)
        }
    }
}
