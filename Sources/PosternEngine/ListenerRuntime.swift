import Foundation
import NIOPosix
import PosternConfig
import PosternDNS
import PosternPolicy
import PosternRuntime
import PosternSpool
import PosternStore

/// What a connection is accepted under, fixed for its whole life: a reload builds new
/// ones and never changes a session in flight (DESIGN.md, "The engine's reload").
struct ListenerRuntime: Sendable {
    let compiled: CompiledListener
    let generation: Int
    let settings: ListenerSettings
    let hostname: String
    /// smtpauthconfig's failure limits.
    let authLimits: SMTPAuthConfiguration
    /// What checks the listener's SMTPAUTH profile; nil when it has none.
    let authChecker: (any AuthChecker)?

    var listener: Listener { compiled.listener }
}

/// The engine's shared services that every connection uses.
struct EngineServices: Sendable {
    let spool: Spool
    let ids: IDAllocator
    let mailLog: MailLog
    let registry: ConnectionRegistry
    /// Blocking work: spool reads and writes (fsync). Never DNS.
    let threadPool: NIOThreadPool
    /// Asynchronous DNS (c-ares) for delivery's MX and address lookups.
    let resolver: DNSResolver
    /// Called once a message is durable: the queue runner looks at once.
    let queued: @Sendable () -> Void
    let reverseDNS: ReverseDNS
    /// Recipients per hour per host, kept across reloads.
    let recipientLimiter: RecipientRateLimiter
    /// Failed AUTH attempts per address, kept across reloads.
    let authFailures: AuthFailureLimiter
    /// The SMTP AUTH profiles' checkers.
    let authCheckers: AuthCheckers
    /// Message bytes in memory across all connections.
    var messageBudget = MessageBudget()
}
