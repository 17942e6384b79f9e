import NIOCore

/// The idle and lifetime limits, on one timer per connection: it is armed for whichever
/// comes first and re-armed from the last activity when it fires, never on every line. Time
/// is the event loop's (`eventLoop.now`), so an `EmbeddedEventLoop` drives it in tests.
extension SMTPServerHandler {
    func startTimers(context: ChannelHandlerContext) {
        lifetimeDeadline = context.eventLoop.now + .seconds(Int64(runtime.settings.maxConnectionTime))
        armTimer(context: context, at: min(lastActivity + idleLimit, lifetimeDeadline))
    }

    private var idleLimit: TimeAmount { .seconds(Int64(runtime.settings.idleTimeout)) }

    private func armTimer(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            if session?.state == .closed {
                // Still open after the session ended: its last words wait for a client that
                // does not read them. Nothing more is owed to it.
                context.close(promise: nil)
                return
            }
            let now = context.eventLoop.now
            if now >= lifetimeDeadline {
                if session != nil { perform(session!.connectionTimeLimit(), context: context) }
                armForLastWords(context: context, now: now)
                return
            }
            let quiet = now - lastActivity
            if quiet >= idleLimit {
                // A message on its way to the queue is not idleness: look again in a second.
                guard session?.state == .storing else {
                    if session != nil { perform(session!.idleTimeout(), context: context) }
                    armForLastWords(context: context, now: now)
                    return
                }
                armTimer(context: context, at: min(now + .seconds(1), lifetimeDeadline))
            } else {
                armTimer(context: context, at: min(lastActivity + idleLimit, lifetimeDeadline))
            }
        }
    }

    /// After a 421 the connection closes once the reply is written; a client that stopped
    /// reading (its window full) would hold it for good. One more idle period, then the
    /// timer finds the session closed and closes the connection without the reply.
    private func armForLastWords(context: ChannelHandlerContext, now: NIODeadline) {
        guard context.channel.isActive else { return }
        armTimer(context: context, at: now + idleLimit)
    }
}
