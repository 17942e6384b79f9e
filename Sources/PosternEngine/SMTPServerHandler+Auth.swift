import NIOCore
import PosternSMTPCore

/// SMTP AUTH for a connection: the credentials go to the listener's profile checker off the
/// event loop, and a failure's delay is a timer, never a blocked thread.
extension SMTPServerHandler {
    /// The session's view of the listener's profile, if it has one.
    var authContext: SMTPSession.AuthContext? {
        guard runtime.authChecker != nil, let profile = runtime.compiled.smtpAuth else { return nil }
        return SMTPSession.AuthContext(profile: profile.profile.name, limits: runtime.authLimits,
                                       failures: services.authFailures)
    }

    func authenticate(_ credentials: SMTPCredentials, context: ChannelHandlerContext) {
        guard let checker = runtime.authChecker else { fatalError("AUTH offered without a checker") }
        checker.check(credentials, on: context.eventLoop)
            .assumeIsolated()
            .whenComplete { [self] result in
                guard session != nil else { return }
                let outcome = (try? result.get()) ?? .unavailable(reason: "the check failed")
                perform(session!.authCompleted(outcome), context: context)
                processInput(context: context)
            }
    }

    func servePenalty(_ milliseconds: Int, context: ChannelHandlerContext) {
        context.flush()  // the log lines are written; nothing is owed to the client yet
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) { [self] in
            guard session != nil else { return }
            perform(session!.authPenaltyServed(), context: context)
            processInput(context: context)
        }
    }
}
