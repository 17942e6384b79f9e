import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PosternConfig
import PosternSMTPCore
import PosternTLS

/// A FORWARD profile: the credentials are checked by `AUTH PLAIN` at an upstream SMTP server,
/// over the delivery client's code (`SMTPClientSession` + `SMTPClientHandler`), with STARTTLS
/// required before the credentials leave when the profile says so. At most `maxInFlight`
/// checks run at once; more get `454` at once.
final class ForwardChecker: AuthChecker {
    private let settings: ForwardAuthSettings
    private let tls: @Sendable () -> (context: TLSContext, hostname: String)?
    private let inFlight = NIOLockedValueBox(0)
    static let maxInFlight = 64

    init(settings: ForwardAuthSettings, tls: @escaping @Sendable () -> (context: TLSContext, hostname: String)?) {
        self.settings = settings
        self.tls = tls
    }

    func check(_ credentials: SMTPCredentials, on loop: any EventLoop) -> EventLoopFuture<SMTPSession.AuthOutcome> {
        guard let (context, hostname) = tls() else {
            return loop.makeSucceededFuture(.unavailable(reason: "no outbound TLS context"))
        }
        let admitted = inFlight.withLockedValue { count -> Bool in
            guard count < ForwardChecker.maxInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return loop.makeSucceededFuture(.unavailable(reason: "too many checks waiting for the forwarding server"))
        }
        // XXX: Required encrypts but does not verify the server's certificate (the delivery
        // client's -Verify levels would need the server's name in it); a profile is meant
        // for a server on a network the appliance trusts.
        let level: SMTPClientSession.TLSLevelPolicy = settings.requireTLS ? .required : .preferred
        let timeout = TimeAmount.seconds(Int64(settings.timeoutSeconds))
        let setup = SMTPClientHandler.Setup(
            dcid: 0, domain: settings.host, expectedNames: [settings.host], tls: context, level: level, jobs: [],
            bodies: [], replyTimeout: timeout)
        let session = SMTPClientSession(heloName: hostname, tls: level, jobs: [], auth: credentials)
        let done = loop.makePromise(of: ConnectionReport.self)
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPClientHandler(session: session, setup: setup, mailLog: nil, done: done))
                }
            }
            .connect(host: settings.host, port: settings.port)
            .whenFailure { done.fail($0) }
        let server = "\(settings.host) port \(settings.port)"
        return done.futureResult
            .map { report -> SMTPSession.AuthOutcome in
                report.auth ?? .unavailable(reason: report.tlsRequiredFailure.map { "TLS to \(server): \($0)" }
                    ?? "\(server) closed the connection before answering AUTH")
            }
            .recover { .unavailable(reason: "\(server): \($0)") }
            .always { [inFlight] _ in inFlight.withLockedValue { $0 -= 1 } }
    }

}
