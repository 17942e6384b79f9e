import Foundation
import Logging
import NIOCore
import NIOPosix
import PosternConfig
import PosternPolicy
import PosternRuntime
import PosternSMTPCore
import PosternStore
import PosternTLS
import PosternTLSChannel

/// `posternd --probe`: serves a configuration in an engine of its own (a temporary home,
/// loopback addresses, ports it picked; nothing is ever queued, so nothing is delivered) and
/// connects to every listener once per sender group with the delivery client
/// (`SMTPClientHandler` over `SMTPClientSession`): once in the clear, once starting TLS with
/// the OUTBOUND settings and no client certificate. MAIL and RCPT are sent, DATA never.
public enum Prober {
    static let replyTimeout = TimeAmount.seconds(10)
    /// Connections in flight at once.
    static let batch = 16

    /// `certificates`: the home whose `certs/` the configuration's profiles name.
    public static func run(_ candidate: Configuration, certificates: Home, logger: Logger,
                           now: @escaping @Sendable () -> Date = Date.init) -> ProbeReport {
        let clock = ContinuousClock()
        let started = clock.now
        var report = ProbeReport()
        func seconds() -> Double {
            let d = clock.now - started
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        var template = Array((FileManager.default.temporaryDirectory.path + "/posternd-probe-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            report.problems = ["cannot create a temporary home: \(String(cString: strerror(errno)))"]
            return report
        }
        let root = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let home = Home(root)
        do {
            try HomeBootstrap.prepare(home)
            try copyCertificates(from: certificates, to: home)
            var ports: [Int] = []
            for listener in candidate.listeners {
                let index = candidate.interfaces.firstIndex { $0.name == listener.interface } ?? 0
                ports.append(try freePort(address: "127.0.0.\(index + 1)"))
            }
            let plan = ProbePlan(candidate, ports: ports, landsIn: CompiledHostAccess.landing)
            report = plan.skeleton
            report.warnings = staticWarnings(candidate)
            let problems = CompiledConfiguration.check(plan.configuration, home: home)
            guard problems.isEmpty else {
                report.problems = problems.map { "\($0)" }
                report.seconds = seconds()
                return report
            }
            _ = try ConfigStore(home: home).commit(plan.configuration, base: 1, user: "probe", source: "probe",
                                                   comment: "probe", check: { _ in [] })
            let client = try CompiledConfiguration.probeClient(plan.configuration, home: home)
            let engine = Engine(home: home, logger: logger, threads: 1)
            try engine.start()
            defer {
                engine.stop(grace: .seconds(1))
                engine.waitUntilStopped()
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            defer { try? group.syncShutdownGracefully() }
            var index = 0
            while index < plan.targets.count {
                let slice = plan.targets[index..<min(index + batch, plan.targets.count)]
                var futures: [(ProbePlan.Target, EventLoopFuture<ProbeConnection>, EventLoopFuture<ProbeConnection>)] = []
                for target in slice {
                    let hostname = plan.configuration.interface(named: plan.configuration.listeners[target.listener].interface)?
                        .hostname ?? plan.configuration.hostname
                    func connect(_ level: SMTPClientSession.TLSLevelPolicy) -> EventLoopFuture<ProbeConnection> {
                        probe(from: target.source, to: target.address, port: target.port, recipient: target.recipient,
                              level: level, hostname: hostname, heloName: candidate.hostname, tls: client,
                              group: group)
                    }
                    futures.append((target, connect(.no), connect(.preferred)))
                }
                for (target, plain, tls) in futures {
                    let g = target.group ?? report.listeners[target.listener].groups.count - 1
                    report.listeners[target.listener].groups[g].plaintext = try plain.wait()
                    report.listeners[target.listener].groups[g].tlsClient = try tls.wait()
                }
                index += batch
            }
            report.warnings += tls12Warnings(plan, report: report, group: group, heloName: candidate.hostname)
            report.warnings += portWarnings(candidate, committed: try? ConfigStore(home: certificates).load().configuration,
                                            group: group)
        } catch {
            report.problems.append("\(error)")
        }
        report.warnings += report.certificateWarnings(now: now())
        report.seconds = seconds()
        return report
    }

    /// One connection from `source` (nil: any) to a listener; `hostname` is the name its
    /// certificate should carry.
    static func probe(from source: String?, to address: String, port: Int, recipient: String,
                      level: SMTPClientSession.TLSLevelPolicy, hostname: String, heloName: String, tls: TLSContext,
                      group: any EventLoopGroup, pipelineBehindSTARTTLS: String? = nil,
                      firstCommandInsideTLS: String? = nil) -> EventLoopFuture<ProbeConnection> {
        converse(from: source, to: address, port: port, recipient: recipient, level: level, hostname: hostname,
                 heloName: heloName, tls: tls, group: group, pipelineBehindSTARTTLS: pipelineBehindSTARTTLS,
                 firstCommandInsideTLS: firstCommandInsideTLS)
            .map { ProbeConnection($0) }
            .flatMapErrorThrowing { error in
                var failed = ProbeConnection()
                failed.refused = "\(error)"
                return failed
            }
    }

    /// The conversation itself, with what only the engine can hold (the TLS session).
    static func converse(from source: String?, to address: String, port: Int, recipient: String,
                         level: SMTPClientSession.TLSLevelPolicy, hostname: String, heloName: String, tls: TLSContext,
                         group: any EventLoopGroup, pipelineBehindSTARTTLS: String? = nil,
                         firstCommandInsideTLS: String? = nil, resuming: TLSSession? = nil)
        -> EventLoopFuture<ConnectionReport> {
        let loop = group.next()
        let done = loop.makePromise(of: ConnectionReport.self)
        let job = SMTPClientSession.Job(mid: 0, sender: "probe@\(heloName)",
                                        recipients: [.init(rid: 0, address: recipient)], size: 0, body8Bit: false)
        let setup = SMTPClientHandler.Setup(
            dcid: 0, domain: hostname, expectedNames: [hostname], serverName: ServerNameIndication.name(forHost: hostname),
            tls: tls, level: level, jobs: [(mid: 0, rids: [0])], bodies: [], replyTimeout: replyTimeout,
            pipelineBehindSTARTTLS: pipelineBehindSTARTTLS, firstCommandInsideTLS: firstCommandInsideTLS,
            resuming: resuming)
        let session = SMTPClientSession(heloName: heloName, tls: level, jobs: [job], stopBeforeData: true)
        var bootstrap = ClientBootstrap(group: loop).connectTimeout(.seconds(5))
        if let source, let local = try? SocketAddress(ipAddress: source, port: 0) { bootstrap = bootstrap.bind(to: local) }
        return bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPClientHandler(session: session, setup: setup, mailLog: nil, done: done))
                }
            }
            .connect(host: address, port: port)
            .flatMap { _ in done.futureResult }
            .flatMapErrorThrowing { error in
                done.fail(error)
                throw error
            }
    }

    static func copyCertificates(from source: Home, to home: Home) throws {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: source.certsDirectory.path) else { return }
        for name in names {
            let target = home.certsDirectory.appendingPathComponent(name)
            try? fm.removeItem(at: target)
            try fm.copyItem(at: source.certsDirectory.appendingPathComponent(name), to: target)
        }
    }

    /// A port nothing listens on at `address` now (bound and released; the engine binds it next).
    static func freePort(address: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProbeError("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = 0
        inet_pton(AF_INET, address, &sin.sin_addr)
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ProbeError("cannot bind \(address): \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: sin.sin_port))
    }
}

struct ProbeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ProbeConnection {
    init(_ report: ConnectionReport) {
        self.init()
        startTLSOffered = report.startTLSOffered
        tlsProtocol = report.tlsInfo?.protocolVersion
        cipher = report.tlsInfo?.cipher
        certificateSubject = report.tlsInfo?.clientCertificateSubject
        certificateNotAfter = report.tlsInfo?.peerCertificateNotAfter
        // A TLS alert before anything was answered inside TLS is the server refusing the
        // handshake, even when it came after the client's Finished (a TLS 1.3 server checks the
        // client's certificate then).
        handshakeFailure = report.tlsFailure ?? (report.ehloAfterTLS == nil ? report.tlsErrorAfterHandshake : nil)
        // A server that answers 220 to STARTTLS and then closes (or writes plaintext and closes)
        // ends the connection before a TLS record arrives: no TLS error is raised, yet no
        // handshake happened, and every check after TLS would otherwise pass on nothing.
        let startedTLS = zip(report.commandsInClear, report.repliesInClear.dropFirst()).contains {
            $0.0.uppercased() == "STARTTLS" && $0.1.code == 220
        }
        if handshakeFailure == nil && startedTLS && report.tlsInfo == nil {
            handshakeFailure = "the connection ended during the TLS handshake"
        }
        ehloAfterTLS = report.ehloAfterTLS
        firstReplyAfterTLS = report.firstReplyAfterTLS?.text
        // Pipelined or not, the n-th reply after the greeting answers the n-th command.
        exchangesInClear = zip(report.commandsInClear, report.repliesInClear.dropFirst()).map {
            ProbeConnection.Exchange(command: $0.0, reply: $0.1.text)
        }
        certificateMatchesHost = report.peerCheck.map { $0.matchedName != nil }
        chainVerified = report.peerCheck?.chainVerified
        verifyResult = report.peerCheck?.verifyResult
        if let outcome = report.outcomes[0]?[0] {
            switch outcome {
            case .delivered(let reply), .failed(let reply): mailReply = reply.text
            case .deferred(let text, _): mailReply = text
            }
        }
    }
}
