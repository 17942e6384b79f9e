import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PosternConfig
import PosternSMTPCore
import PosternSpool
import PosternStore
import PosternTLS

/// What delivery runs under, replaced at each reload.
struct DeliveryRuntime: Sendable {
    let configuration: DeliveryConfiguration
    /// The client context: OUTBOUND methods and ciphers, the SETUP certificate, the trusted authorities.
    let tls: TLSContext
    /// The name in EHLO and in bounces.
    let hostname: String
    /// OUTBOUND session reuse (`sslconfig OUTBOUND`).
    var resumption = SessionResumption()
}

/// Delivers the queue: picks due messages, groups their recipients by domain, opens
/// connections within each domain's limits, records every recipient's outcome durably, and
/// retries, bounces or finishes each message. All bookkeeping runs on one serial queue.
final class QueueRunner: @unchecked Sendable {
    // @unchecked: every mutable property is touched only on `queue` (internal, not private,
    // only so that QueueRunner+Finishing.swift, which records outcomes and finishes messages,
    // can reach them).
    let queue = DispatchQueue(label: "posternd.delivery")
    let spool: Spool
    let services: EngineServices
    private let group: any EventLoopGroup
    let logger: Logger
    var runtime: DeliveryRuntime?
    /// TLS sessions per destination, for the next connection to offer.
    private var sessions = OutboundSessionCache<TLSSession>()
    private var timer: DispatchSourceTimer?
    private var stopping = false
    private let wakeScheduled = NIOLockedValueBox(false)
    /// Set by `stop()` from outside the queue, so that a long scan of a big queue ends at the
    /// next message instead of holding the engine's stop (issue 13 §6).
    private let stopRequested = NIOLockedValueBox(false)
    /// Messages known to the runner: their envelope and delivery state.
    var messages: [Int: (envelope: Envelope, state: DeliveryState)] = [:]
    /// Connections still open per message in this round, and what this round did per RID.
    var inFlight: [Int: Int] = [:]
    var deferredThisRound: Set<Int> = []
    /// Messages whose bounce is being stored; they are finished once it is durable.
    var bouncing: Set<Int> = []
    /// Open connections per domain.
    var active: [String: Int] = [:]

    static let replyTimeout = TimeAmount.minutes(5)
    static let connectTimeout = TimeAmount.seconds(30)

    init(spool: Spool, services: EngineServices, group: any EventLoopGroup, logger: Logger) {
        self.spool = spool
        self.services = services
        self.group = group
        self.logger = logger
    }

    func update(_ runtime: DeliveryRuntime) {
        queue.async {
            // Sessions of another client context (other methods, ciphers, certificate) go.
            if self.runtime?.tls !== runtime.tls || !runtime.resumption.enabled { self.sessions.removeAll() }
            self.runtime = runtime
        }
    }

    func start() {
        queue.async { [self] in
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + 0.2, repeating: 1)
            timer.setEventHandler { [weak self] in self?.tick() }
            timer.resume()
            self.timer = timer
        }
    }

    /// A message was queued: look soon instead of at the next tick. Wakes within 50 ms are
    /// taken together, so a busy listener costs a few scans a second, not one per message.
    func wake() {
        guard wakeScheduled.withLockedValue({ scheduled in
            defer { scheduled = true }
            return !scheduled
        }) else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(50)) { [self] in
            wakeScheduled.withLockedValue { $0 = false }
            tick()
        }
    }

    /// Stops starting deliveries; connections in progress are dropped with the event loops,
    /// and their recipients, not yet recorded as delivered, are delivered again later.
    func stop() {
        stopRequested.withLockedValue { $0 = true }
        queue.sync {
            stopping = true
            timer?.cancel()
        }
    }

    // MARK: Scheduling

    func tick() {
        guard !stopping, let runtime else { return }
        QueueRequests.process(spool: spool, runner: self)
        guard !runtime.configuration.suspended else { return }
        let now = Date()
        var batches: [String: [(mid: Int, rids: [Int])]] = [:]
        let queued = spool.entries().map(\.id)  // oldest first
        let present = Set(queued)
        for mid in messages.keys where !present.contains(mid) && inFlight[mid] == nil { messages[mid] = nil }
        for mid in queued where inFlight[mid] == nil {
            if stopRequested.withLockedValue({ $0 }) { return }
            guard var entry = load(mid) else { continue }
            guard entry.state.nextAttempt <= now else { continue }
            let lifetime = TimeInterval(runtime.configuration.bounce.maxQueueLifetime)
            if now.timeIntervalSince(entry.envelope.receivedAt) > lifetime {
                for rid in entry.state.pending {
                    entry.state.recipients[rid].status = .bounced
                    entry.state.recipients[rid].enhanced = "5.4.7"
                    entry.state.recipients[rid].detail = "Delivery expired (message too old)"
                    services.mailLog.write(.bounced(dcid: nil, mid: mid, rid: rid, enhanced: "5.4.7",
                                                    reason: "Delivery expired (message too old)",
                                                    reply: "'000', ['Message expired']"))
                }
                messages[mid] = entry
                finalize(mid)
                continue
            }
            var byDomain: [String: [Int]] = [:]
            for rid in entry.state.pending {
                let address = entry.state.recipients[rid].address
                let domain = address.split(separator: "@").last.map { $0.lowercased() } ?? ""
                byDomain[domain, default: []].append(rid)
            }
            if byDomain.isEmpty {
                finalize(mid)
                continue
            }
            for (domain, rids) in byDomain { batches[domain, default: []].append((mid, rids)) }
        }
        for (domain, items) in batches.sorted(by: { $0.key < $1.key }) {
            let controls = runtime.configuration.controls(for: domain)
            var free = controls.effectiveConcurrency - active[domain, default: 0]
            var connections: [[(mid: Int, rids: [Int])]] = []
            var current: [(mid: Int, rids: [Int])] = []
            var recipients = 0
            for var item in items {
                while !item.rids.isEmpty {
                    if current.count == controls.effectiveMessagesPerConnection
                        || recipients == controls.effectiveRecipientsPerConnection
                    {
                        connections.append(current)
                        current = []
                        recipients = 0
                    }
                    let take = min(item.rids.count, controls.effectiveRecipientsPerConnection - recipients)
                    current.append((item.mid, Array(item.rids.prefix(take))))
                    item.rids.removeFirst(take)
                    recipients += take
                }
            }
            if !current.isEmpty { connections.append(current) }
            for jobs in connections where free > 0 {
                free -= 1
                active[domain, default: 0] += 1
                for job in jobs { inFlight[job.mid, default: 0] += 1 }
                launch(domain: domain, jobs: jobs, level: controls.effectiveTLS, runtime: runtime)
            }
        }
    }

    func load(_ mid: Int) -> (envelope: Envelope, state: DeliveryState)? {
        if let known = messages[mid] { return known }
        guard let stored = spool.entry(mid), let (envelopeData, _) = try? spool.read(stored),
            let envelope = try? JSONCoding.decoder.decode(Envelope.self, from: envelopeData)
        else { return nil }
        let state = spool.state(of: mid) ?? DeliveryState(recipients: envelope.recipients, now: Date())
        messages[mid] = (envelope, state)
        return (envelope, state)
    }

    // MARK: One connection

    private func launch(domain: String, jobs: [(mid: Int, rids: [Int])], level: TLSLevel, runtime: DeliveryRuntime) {
        let spool = self.spool
        let delivery = runtime.configuration
        let envelopes = jobs.map { messages[$0.mid]!.envelope }
        let recipients = jobs.map { job in job.rids.map { (rid: $0, address: messages[job.mid]!.state.recipients[$0].address) } }
        guard !stopping else { return }
        let loop = group.next()
        let threadPool = services.threadPool
        Router(resolver: services.resolver, loop: loop).resolve(domain: domain, delivery: delivery).flatMap { route in
            guard case .hops = route else { return loop.makeSucceededFuture((route, [ByteBuffer]())) }
            // Spool reads block on the disk: the pool, never the loop.
            return threadPool.runIfActive(eventLoop: loop) { () throws -> (Router.Result, [ByteBuffer]) in
                var bodies: [ByteBuffer] = []
                for job in jobs {
                    // A message that cannot be read is deferred, never sent empty.
                    guard let entry = spool.entry(job.mid) else { throw SpoolError.damaged("MID \(job.mid) is not queued") }
                    let message = try spool.read(entry).message
                    bodies.append(ByteBuffer(bytes: DotStuffing.encode(message)))
                }
                return (route, bodies)
            }
        }.whenComplete { [self] result in
            queue.async { [self] in
                switch result {
                case .failure(let error):
                    connectionDone(domain: domain, jobs: jobs,
                                   outcomes: every(jobs, .deferred("\(error)", enhanced: "4.3.0")), dcid: nil)
                case .success((.discard, _)):
                    connectionDone(domain: domain, jobs: jobs,
                                   outcomes: every(jobs, .delivered(SMTPReply(250, "discarded by the route /dev/null"))),
                                   dcid: nil)
                case .success((.permanentFailure(let reason, let enhanced), _)):
                    connectionDone(domain: domain, jobs: jobs,
                                   outcomes: every(jobs, .failed(SMTPReply(550, "\(enhanced) \(reason)"))), dcid: nil)
                case .success((.temporaryFailure(let reason), _)):
                    connectionDone(domain: domain, jobs: jobs, outcomes: every(jobs, .deferred(reason, enhanced: "4.4.3")),
                                   dcid: nil)
                case .success((.hops(let hops), let bodies)):
                    let sessionJobs = zip(envelopes, recipients).enumerated().map { i, pair in
                        SMTPClientSession.Job(mid: jobs[i].mid, sender: pair.0.sender,
                                              recipients: pair.1.map { .init(rid: $0.rid, address: $0.address) },
                                              size: bodies[i].readableBytes,
                                              body8Bit: bodies[i].readableBytesView.contains { $0 >= 0x80 })
                    }
                    attempt(domain: domain, jobs: jobs, sessionJobs: sessionJobs, bodies: bodies, hops: hops,
                            hop: 0, address: 0, level: level, runtime: runtime, lastProblem: nil)
                }
            }
        }
    }

    /// Tries one address of one hop; on a failure that is the connection's, not the
    /// recipients', the next address or hop gets its turn.
    private func attempt(
        domain: String, jobs: [(mid: Int, rids: [Int])], sessionJobs: [SMTPClientSession.Job], bodies: [ByteBuffer],
        hops: [Router.NextHop], hop: Int, address: Int, level: TLSLevel, runtime: DeliveryRuntime,
        lastProblem: (ConnectionReport?, String)?
    ) {
        // Stopping: no new connection on event loops that are shutting down; the recipients
        // are not recorded as delivered, so they are tried again after the restart.
        guard !stopping else { return }
        guard hop < hops.count else {
            let (report, reason) = lastProblem ?? (nil, "no destination could be reached")
            if let report, !report.outcomes.isEmpty {
                connectionDone(domain: domain, jobs: jobs, outcomes: report.outcomes, dcid: nil)
            } else {
                connectionDone(domain: domain, jobs: jobs, outcomes: every(jobs, .deferred(reason, enhanced: "4.4.1")),
                               dcid: nil)
            }
            return
        }
        let target = hops[hop]
        guard address < target.addresses.count else {
            attempt(domain: domain, jobs: jobs, sessionJobs: sessionJobs, bodies: bodies, hops: hops, hop: hop + 1,
                    address: 0, level: level, runtime: runtime, lastProblem: lastProblem)
            return
        }
        let ip = target.addresses[address]
        guard let dcid = services.ids.allocate(.dcid) else {
            connectionDone(domain: domain, jobs: jobs, outcomes: every(
                jobs, .deferred("no delivery connection ID can be reserved (the disk refuses writes)", enhanced: "4.3.0")),
                           dcid: nil)
            return
        }
        let policy = SMTPClientSession.TLSLevelPolicy(level)
        let sessionKey = OutboundSessionCache<TLSSession>.Key(host: target.host, address: ip.description, port: target.port,
                                                  level: level)
        let now = Int64(Date().timeIntervalSince1970)
        let offered = runtime.resumption.enabled
            ? sessions.session(for: sessionKey, now: now, lifetime: runtime.resumption.ticketLifetime) : nil
        let setup = SMTPClientHandler.Setup(
            dcid: dcid, domain: domain, expectedNames: Array(Set([domain, target.host])).sorted(),
            serverName: ServerNameIndication.name(forHost: target.host), tls: runtime.tls,
            level: policy, jobs: jobs, bodies: bodies, replyTimeout: QueueRunner.replyTimeout, resuming: offered)
        let session = SMTPClientSession(heloName: runtime.hostname, tls: policy, jobs: sessionJobs)
        let mailLog = services.mailLog
        let loop = group.next()
        let done = loop.makePromise(of: ConnectionReport.self)
        let next: @Sendable (ConnectionReport?, String) -> Void = { [self] report, reason in
            attempt(domain: domain, jobs: jobs, sessionJobs: sessionJobs, bodies: bodies, hops: hops, hop: hop,
                    address: address + 1, level: level, runtime: runtime, lastProblem: (report, reason))
        }
        ClientBootstrap(group: loop)
            .connectTimeout(QueueRunner.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPClientHandler(session: session, setup: setup, mailLog: mailLog, done: done))
                }
            }
            .connect(host: ip.description, port: target.port)
            .whenComplete { [self] result in
                switch result {
                case .failure(let error):
                    done.fail(error)
                    queue.async {
                        mailLog.write(.connectionError(dcid: dcid, address: ip.description, details: "\(error)",
                                                       interface: "default", reason: "connection failed"))
                        next(nil, "\(target.host) (\(ip)) port \(target.port): \(error)")
                    }
                case .success(let channel):
                    let local = channel.localAddress?.ipAddress?.description ?? "unknown"
                    mailLog.write(.newDelivery(dcid: dcid, interface: local, address: ip.description, port: target.port))
                    done.futureResult.whenSuccess { [self] report in
                        report.countTLS(level: level, in: services.registry)
                        queue.async { [self] in
                            if runtime.resumption.enabled, report.tlsInfo != nil || report.tlsFailure != nil,
                                self.runtime?.tls === runtime.tls
                            {
                                let usable = report.tlsFailure == nil && report.tlsErrorAfterHandshake == nil
                                sessions.store(usable ? report.tlsSession : nil, for: sessionKey,
                                               now: Int64(Date().timeIntervalSince1970))
                            }
                            if let reason = report.tlsRequiredFailure {
                                mailLog.write(.deliveryTLSRequired(dcid: dcid, address: ip.description, reason: reason))
                                if runtime.configuration.destinations.alertOnRequiredTLSFailure {
                                    mailLog.write(.alert("TLS to \(domain) (\(ip)) was required but failed: \(reason)"))
                                }
                            }
                            // Only deferrals (a refused greeting, TLS that could not be had, a
                            // dropped connection): another destination may do better.
                            let allDeferred = report.outcomes.values.allSatisfy { $0.values.allSatisfy(\.isDeferred) }
                            let complete = report.outcomes.count == jobs.count
                            if allDeferred || !complete {
                                next(report, report.tlsRequiredFailure ?? "deferred by \(target.host)")
                            } else {
                                connectionDone(domain: domain, jobs: jobs, outcomes: report.outcomes, dcid: dcid)
                            }
                        }
                    }
                }
            }
    }

    /// The same outcome for every recipient of every job, as a connection reports outcomes.
    private func every(_ jobs: [(mid: Int, rids: [Int])], _ outcome: SMTPClientSession.Outcome)
        -> [Int: [Int: SMTPClientSession.Outcome]]
    {
        var outcomes: [Int: [Int: SMTPClientSession.Outcome]] = [:]
        for (i, job) in jobs.enumerated() {
            outcomes[i] = Dictionary(uniqueKeysWithValues: job.rids.map { ($0, outcome) })
        }
        return outcomes
    }
}
