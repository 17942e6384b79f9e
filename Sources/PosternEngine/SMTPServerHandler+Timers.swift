import NIOCore

/// The idle and lifetime timers. Time is the event loop's (`eventLoop.now`), so an
/// `EmbeddedEventLoop` drives them in tests.
extension SMTPServerHandler {
    func startTimers(context: ChannelHandlerContext) {
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
    func scheduleIdleCheck(context: ChannelHandlerContext, after delay: TimeAmount) {
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            let limit = TimeAmount.seconds(Int64(runtime.settings.idleTimeout))
            let quiet = context.eventLoop.now - lastActivity
            if quiet >= limit, session?.state != .storing {
                if session != nil { perform(session!.idleTimeout(), context: context) }
            } else {
                scheduleIdleCheck(context: context, after: max(limit - quiet, .seconds(1)))
            }
        }
    }
}
