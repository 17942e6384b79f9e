import Foundation
import NIOCore
import PosternConfig
import PosternPolicy
import PosternSMTPCore

/// How a connection learns its peer's reverse-DNS name: the one place the lookup is asked
/// for, so that the resolver behind it can change without touching the session.
struct PeerResolver: Sendable {
    let resolve: @Sendable (IPAddress, any EventLoop) -> EventLoopFuture<ReverseDNSResult>

    /// The engine's asynchronous resolver (c-ares, through the cache), with the listener's
    /// reverse-DNS deadline: past it the answer is a temporary failure.
    static func dns(_ services: EngineServices, timeout: TimeAmount) -> PeerResolver {
        PeerResolver { [dns = services.reverseDNS] address, loop in
            dns.lookup(address, timeout: timeout, on: loop)
        }
    }
}

extension SMTPServerHandler {
    func channelActive(context: ChannelHandlerContext) {
        guard let remote = context.channel.remoteAddress?.ipAddress else {
            context.close(promise: nil)
            return
        }
        let admission = services.registry.open(
            channel: context.channel, listener: runtime.listener.name, listenerLimit: runtime.listener.maxConcurrency,
            overallLimit: runtime.settings.maxConnections, generation: runtime.generation)
        guard admission == .admitted else {
            refuse(context: context, Replies.tooManyConnections)
            return
        }
        admitted = true
        lastActivity = context.eventLoop.now
        let hat = runtime.compiled.hostAccess
        // The mail log names the verified host of every connection, so the lookup always runs.
        resolvePeer.resolve(remote, context.eventLoop)
            .assumeIsolated()
            .whenComplete { [self] result in
                let reverse = (try? result.get()) ?? .temporaryFailure
                decide(context: context, peer: PeerFacts(address: remote, reverseDNS: reverse), hat: hat)
            }
        context.fireChannelActive()
    }

    func refuse(context: ChannelHandlerContext, _ reply: SMTPReply) {
        droppedForPregreet = true  // nothing the client sends from now on is read
        // A refused connection stops counting now, not when its close completes: a client
        // that sees the close and connects again must not find the slot still taken.
        if admitted {
            services.registry.close(channel: context.channel, listener: runtime.listener.name,
                                    generation: runtime.generation, countedIP: countedIP)
            admitted = false
            countedIP = nil
        }
        context.writeAndFlush(encoded(reply, context)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// Bytes arrived before the greeting: postscreen's pregreet test. A client that talks
    /// first is not speaking SMTP (or is a bot in a hurry); it is answered and dropped, and
    /// nothing it sent is kept, so input before the greeting costs no memory.
    func pregreet(context: ChannelHandlerContext, bytes: Int) {
        guard !droppedForPregreet, context.channel.isActive else { return }
        let remote = context.channel.remoteAddress?.ipAddress?.description ?? "unknown"
        services.mailLog.write(.pregreet(remote: remote, bytes: bytes))
        refuse(context: context, Replies.pregreet)
    }

    /// The HAT decides, then the session greets (or the connection is refused).
    func decide(context: ChannelHandlerContext, peer facts: PeerFacts, hat: CompiledHostAccess) {
        guard context.channel.isActive, !droppedForPregreet else { return }
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
        services.mailLog.write([
            .newConnection(
                icid: icid, interface: runtime.compiled.interface.name,
                interfaceAddress: runtime.compiled.interface.address.description, remote: facts.address.description,
                reverseName: facts.reverseDNS.logName, verified: facts.reverseDNS.isVerified),
            .policyMatch(icid: icid, behavior: match.behavior.rawValue, group: match.group, entry: match.entry,
                         sbrs: sbrs),
        ])
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
            }, auth: authContext,
            messageBudgetAvailable: { [budget = services.messageBudget] in budget.available },
            tlsMandatorySenders: runtime.compiled.tlsMandatoryList(for: match.parameters))
        let ids = services.ids
        session = SMTPSession(context: sessionContext, allocateMID: { ids.allocate(.mid) })
        startTimers(context: context)
        perform(session!.start(), context: context)
        processInput(context: context)
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
