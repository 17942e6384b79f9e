import NIOCore
import PosternConfig
import PosternSMTPCore

/// A FORWARD profile: the credentials are checked by AUTH at an upstream SMTP server.
final class ForwardChecker: AuthChecker {
    private let settings: ForwardAuthSettings
    private let group: any EventLoopGroup

    init(settings: ForwardAuthSettings, group: any EventLoopGroup) {
        self.settings = settings
        self.group = group
    }

    func check(_ credentials: SMTPCredentials, on loop: any EventLoop) -> EventLoopFuture<SMTPSession.AuthOutcome> {
        // XXX: not written yet; every attempt is a temporary failure until it is.
        loop.makeSucceededFuture(.unavailable(reason: "forward profiles are not implemented"))
    }

    func shutdown() {}
}
