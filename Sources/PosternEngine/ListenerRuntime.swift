import Foundation
import NIOPosix
import PosternConfig
import PosternPolicy
import PosternSpool
import PosternStore

/// What a connection is accepted under, fixed for its whole life: a reload builds new
/// ones and never changes a session in flight (DESIGN.md, "The engine's reload").
struct ListenerRuntime: Sendable {
    let compiled: CompiledListener
    let generation: Int
    let settings: ListenerSettings
    let hostname: String

    var listener: Listener { compiled.listener }
}

/// The engine's shared services that every connection uses.
struct EngineServices: Sendable {
    let spool: Spool
    let ids: IDAllocator
    let mailLog: MailLog
    let registry: ConnectionRegistry
    /// Blocking work: DNS lookups and spool writes (fsync).
    let threadPool: NIOThreadPool
    /// Called once a message is durable: the queue runner looks at once.
    let queued: @Sendable () -> Void
    let reverseDNS: ReverseDNSCache
    /// Recipients per hour per host, kept across reloads.
    let recipientLimiter: RecipientRateLimiter
    /// Message bytes in memory across all connections.
    var messageBudget = MessageBudget()
}
