import NIOCore
import PosternSMTPCore
import PosternTLS
import PosternTLSChannel

/// What one delivery connection found, for the queue runner.
struct ConnectionReport: Sendable {
    /// Job index → RID → outcome. Jobs the connection never reached are absent.
    var outcomes: [Int: [Int: SMTPClientSession.Outcome]] = [:]
    /// TLS was required (or verification was) and could not be had.
    var tlsRequiredFailure: String?
    var tlsProtocol: String?
    /// The handshake as the client saw it (a probe reports it).
    var tlsInfo: TLSHandshakeInfo?
    var peerCheck: PeerCheck?
    /// Why the handshake after 220 failed.
    var tlsFailure: String?
    /// A TLS error after the client's side of the handshake completed (in TLS 1.3 a server
    /// refuses a missing client certificate only after the client's Finished).
    var tlsErrorAfterHandshake: String?
    /// The server listed STARTTLS in its first EHLO.
    var startTLSOffered = false
    /// Before TLS: the commands sent and the replies read (the greeting first), in order.
    var commandsInClear: [String] = []
    var repliesInClear: [SMTPReply] = []
    /// The TLS session at the end (to offer on a later connection) and whether the handshake
    /// resumed the one offered.
    var tlsSession: TLSSession?
    var sessionReused = false
    /// The first reply read after the handshake (the answer to EHLO, unless the server
    /// answered something pipelined behind STARTTLS).
    var firstReplyAfterTLS: SMTPReply?
    /// The extensions of the EHLO answer after TLS (`selftest`: STARTTLS must not be among them).
    var ehloAfterTLS: [String]?
    /// A FORWARD profile's check: what the server answered to AUTH.
    var auth: SMTPSession.AuthOutcome?
}

/// Drives one outbound SMTP conversation: frames the server's replies, feeds the client
/// state machine, sends what it says, and adds TLS in the middle of the pipeline when the
/// server said 220 to STARTTLS.
final class SMTPClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Setup: Sendable {
        var dcid: Int
        var domain: String
        /// Names the receiver's certificate may carry for the -Verify levels: the domain and the MX host.
        var expectedNames: [String]
        /// SNI: the host being connected to, never an address literal (`ServerNameIndication`).
        var serverName: String?
        var tls: TLSContext
        var level: SMTPClientSession.TLSLevelPolicy
        /// The MIDs and RIDs of the jobs, for the log.
        var jobs: [(mid: Int, rids: [Int])]
        /// Each job's data, dot-stuffed and terminated.
        var bodies: [ByteBuffer]
        var replyTimeout: TimeAmount
        /// `selftest` only: a command written in the same segment as STARTTLS, in the clear,
        /// which the server must discard (RFC 3207 §5, CVE-2011-0411).
        var pipelineBehindSTARTTLS: String? = nil
        /// `selftest` only: a command sent first inside TLS, before EHLO; a server that reset
        /// the session (RFC 3207 §4.2) must refuse MAIL there.
        var firstCommandInsideTLS: String? = nil
        /// A session to offer for resumption: the destination's last (`OutboundSessionCache`), or selftest's.
        var resuming: TLSSession? = nil
    }

    private var session: SMTPClientSession
    private let setup: Setup
    /// Nil for a FORWARD profile's check, which is no delivery and writes no DCID lines.
    private let mailLog: MailLog?
    private let done: EventLoopPromise<ConnectionReport>
    private var framer = SMTPInputFramer(lineLimit: 4096)
    private var parser = SMTPReplyParser()
    private var report = ConnectionReport()
    private var timer: Scheduled<Void>?
    private var handshaking = false
    private var tlsConnection: TLSConnection?

    init(session: SMTPClientSession, setup: Setup, mailLog: MailLog?, done: EventLoopPromise<ConnectionReport>) {
        self.session = session
        self.setup = setup
        self.mailLog = mailLog
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        armTimer(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        framer.append(&bytes)
        armTimer(context: context)
        while !handshaking, let event = framer.next() {
            guard case .line(let line) = event else {
                perform(session.connectionLost("the receiving server sent an overlong line"), context: context)
                return
            }
            do {
                guard let reply = try parser.feed(line) else { continue }
                if session.tlsActive && report.firstReplyAfterTLS == nil { report.firstReplyAfterTLS = reply }
                if !session.tlsActive { report.repliesInClear.append(reply) }
                if session.awaitingEHLOAfterTLS && reply.code == 250 { report.ehloAfterTLS = Array(reply.lines.dropFirst()) }
                perform(session.receive(reply), context: context)
            } catch {
                perform(session.connectionLost("the receiving server sent a malformed reply: \(line.prefix(80))"),
                        context: context)
                return
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let tls = event as? TLSEvent else { return context.fireUserInboundEventTriggered(event) }
        handshaking = false
        switch tls {
        case .handshakeCompleted(let info, let check):
            report.tlsProtocol = info.protocolVersion
            report.tlsInfo = info
            report.peerCheck = check
            mailLog?.write(.deliveryTLSSuccess(dcid: setup.dcid, protocol: info.protocolVersion, cipher: info.cipher,
                                              domain: setup.domain))
            var verified = true
            var reason = ""
            if setup.level == .preferredVerify || setup.level == .requiredVerify {
                verified = check.chainVerified && check.matchedName != nil
                reason = !check.chainVerified ? check.verifyResult
                    : "the certificate names none of \(setup.expectedNames.joined(separator: ", "))"
                mailLog?.write(.deliveryTLSVerification(dcid: setup.dcid, domain: setup.domain, verified: verified,
                                                       detail: verified ? "name \(check.matchedName!)" : reason))
            }
            if let first = setup.firstCommandInsideTLS {
                var buffer = context.channel.allocator.buffer(capacity: first.utf8.count + 2)
                buffer.writeString(first + "\r\n")
                context.write(wrapOutboundOut(buffer), promise: nil)
            }
            perform(session.tlsEstablished(verified: verified, reason: reason), context: context)
        case .handshakeFailed(let reason):
            report.tlsFailure = reason
            mailLog?.write(.deliveryTLSFailed(dcid: setup.dcid, reason: reason))
            perform(session.tlsFailed(reason), context: context)
        case .failedAfterHandshake(let reason):
            report.tlsErrorAfterHandshake = reason
            // TLS was negotiated: this is a lost connection, not "TLS was required but ...".
            perform(session.connectionLost("TLS error after the handshake: \(reason)"), context: context)
        case .closedWithoutNotify:
            break  // channelInactive follows and defers what is left
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if let tlsConnection {
            report.tlsSession = tlsConnection.session
            report.sessionReused = tlsConnection.sessionReused
        }
        perform(session.connectionLost("the connection closed"), context: context)
        mailLog?.write(.deliveryClose(dcid: setup.dcid))
        done.succeed(report)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: setup.replyTimeout) { [self] in
            perform(session.connectionLost("no answer within \(setup.replyTimeout.nanoseconds / 1_000_000_000) seconds"),
                    context: context)
            context.close(promise: nil)
        }
    }

    private func perform(_ actions: [SMTPClientSession.Action], context: ChannelHandlerContext) {
        report.startTLSOffered = session.startTLSOffered
        for action in actions {
            switch action {
            case .send(let line):
                if !session.tlsActive { report.commandsInClear.append(line) }
                var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 2)
                buffer.writeString(line + "\r\n")
                if line == "STARTTLS", let extra = setup.pipelineBehindSTARTTLS { buffer.writeString(extra + "\r\n") }
                context.write(wrapOutboundOut(buffer), promise: nil)
            case .startTLS:
                context.flush()
                handshaking = true
                _ = framer.discardBuffered()  // nothing the server sent in the clear counts after 220
                do {
                    let connection = try TLSConnection(context: setup.tls, verification: .none,
                                                       serverName: setup.serverName, resuming: setup.resuming)
                    tlsConnection = connection
                    try context.pipeline.syncOperations.addHandler(
                        STARTTLSHandler(connection: connection, expectedNames: setup.expectedNames), position: .first)
                } catch {
                    handshaking = false
                    perform(session.tlsFailed("\(error)"), context: context)
                }
            case .jobStarted(let job):
                mailLog?.write(.deliveryStart(dcid: setup.dcid, mid: setup.jobs[job].mid, rids: setup.jobs[job].rids))
            case .sendBody(let job):
                context.write(wrapOutboundOut(setup.bodies[job]), promise: nil)
            case .jobFinished(let job, let outcomes):
                report.outcomes[job] = outcomes
            case .tlsRequiredFailed(let reason):
                report.tlsRequiredFailure = reason
            case .authFinished(let outcome):
                report.auth = outcome
            case .close:
                context.flush()
                context.close(promise: nil)
            }
        }
        context.flush()
    }
}
