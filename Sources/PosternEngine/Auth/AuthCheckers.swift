import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PosternConfig
import PosternDirectory
import PosternRuntime
import PosternSMTPCore
import PosternStore
import PosternTLS

/// Checks one profile's credentials without blocking an event loop.
/// It lives as long as the runtimes (and so the sessions) that use it, and frees its threads
/// and connections when the last of them goes.
protocol AuthChecker: Sendable {
    func check(_ credentials: SMTPCredentials, on loop: any EventLoop) -> EventLoopFuture<SMTPSession.AuthOutcome>
}

/// The engine's checkers, one per profile in use, kept across reloads while the profile is
/// unchanged so that its directory connections and cache live on. A listener's runtime holds
/// its checker, so sessions accepted before a reload keep theirs.
final class AuthCheckers: Sendable {
    private let checkers = NIOLockedValueBox<[CompiledAuthProfile: any AuthChecker]>([:])
    /// The delivery client's TLS context and the appliance's hostname, for FORWARD profiles;
    /// set at every reload.
    private let outbound = NIOLockedValueBox<(context: TLSContext, hostname: String)?>(nil)

    init() {}

    /// The checker for a profile, made at first use.
    func checker(for profile: CompiledAuthProfile) -> any AuthChecker {
        checkers.withLockedValue { table in
            if let existing = table[profile] { return existing }
            let made: any AuthChecker
            switch profile.profile.method {
            case .ldap(let settings):
                made = LDAPChecker(LDAPAuthenticator(settings: settings, bindPassword: profile.bindPassword,
                                                     caFile: profile.caFile))
            case .forward(let settings):
                made = ForwardChecker(settings: settings) { [outbound] in outbound.withLockedValue { $0 } }
            }
            table[profile] = made
            return made
        }
    }

    /// Before a reload's runtimes are built: forgets the checkers of profiles no listener
    /// uses any more (sessions still running under the old runtimes keep theirs).
    func retain(_ inUse: Set<CompiledAuthProfile>, outboundTLS: TLSContext?, hostname: String) {
        outbound.withLockedValue { $0 = outboundTLS.map { ($0, hostname) } }
        checkers.withLockedValue { table in
            for key in table.keys where !inUse.contains(key) { table[key] = nil }
        }
    }
}

/// An LDAP profile: the blocking OpenLDAP calls run on the profile's own threads, as many as
/// its connections, so a slow directory holds up only the sessions waiting for it, and at
/// most a bounded number of those wait.
final class LDAPChecker: AuthChecker {
    private let authenticator: LDAPAuthenticator
    private let pool: NIOThreadPool
    private let waiting = NIOLockedValueBox(0)
    /// Authentications queued per connection before further ones get `454` at once.
    static let queuePerConnection = 16

    init(_ authenticator: LDAPAuthenticator) {
        self.authenticator = authenticator
        pool = NIOThreadPool(numberOfThreads: authenticator.settings.maxConnections)
        pool.start()
    }

    func check(_ credentials: SMTPCredentials, on loop: any EventLoop) -> EventLoopFuture<SMTPSession.AuthOutcome> {
        let limit = authenticator.settings.maxConnections * LDAPChecker.queuePerConnection
        let admitted = waiting.withLockedValue { count -> Bool in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard admitted else {
            return loop.makeSucceededFuture(.unavailable(reason: "too many authentications waiting for the directory"))
        }
        let authenticator = self.authenticator
        return pool.runIfActive(eventLoop: loop) { () -> SMTPSession.AuthOutcome in
            switch authenticator.authenticate(user: credentials.user, password: credentials.password) {
            case .accepted: return .accepted
            case .rejected: return .rejected
            case .unavailable(let why): return .unavailable(reason: why)
            }
        }
        .always { [waiting] _ in waiting.withLockedValue { $0 -= 1 } }
        .flatMapErrorThrowing { error in .unavailable(reason: "\(error)") }
    }

    deinit {
        pool.shutdownGracefully { _ in }
    }
}
