import Foundation
import PosternConfig
import PosternStore
import Synchronization

/// One signed-in browser: who, from where, its CSRF token, and its own pending changes on
/// top of the committed generation it started from (DESIGN.md's commit protocol, step 1).
public struct WebSession: Sendable {
    public let token: String
    public let csrfToken: String
    public let user: String
    /// The account's role, refreshed from the accounts on every request.
    public var role: UserRole
    /// The client's address: commits record `gui <address>` as their source.
    public let address: String
    public var lastSeen: Date
    /// The committed document the pending changes are based on.
    public var base: ConfigDocument
    /// The configuration with this browser's changes; equal to `base` when none are pending.
    public var pending: Configuration
    /// A message shown once on the next page (`Your changes have been committed`).
    public var notice: String?

    public var hasChanges: Bool { pending != base.configuration }
}

/// The signed-in browsers, by cookie token. Sessions end on logout, or when idle longer
/// than the timeout (`adminaccessconfig` TIMEOUT, 30 minutes by default). Kept in
/// memory: a restart of posternweb signs everyone out, as a reboot does on the appliance.
public final class WebSessions: Sendable {
    private let timeout: Mutex<TimeInterval>
    private let now: @Sendable () -> Date
    private let sessions = Mutex<[String: WebSession]>([:])

    public init(idleTimeout: TimeInterval, now: @escaping @Sendable () -> Date = Date.init) {
        timeout = Mutex(idleTimeout)
        self.now = now
    }

    /// Seconds a session may stay idle; a commit of `adminaccessconfig` changes it, and the
    /// new value counts for every session from its last request.
    public var idleTimeout: TimeInterval {
        get { timeout.withLock { $0 } }
        set { timeout.withLock { $0 = newValue } }
    }

    /// A new session for `account`, starting from the committed `base`.
    public func open(account: UserAccount, address: String, base: ConfigDocument) throws -> WebSession {
        let session = WebSession(
            token: try WebSessions.randomToken(), csrfToken: try WebSessions.randomToken(), user: account.name,
            role: account.role, address: address, lastSeen: now(), base: base, pending: base.configuration)
        sessions.withLock { $0[session.token] = session }
        return session
    }

    /// The live session for `token`, touched; nil when unknown or idle too long (then it is gone).
    public func resume(_ token: String) -> WebSession? {
        let time = now()
        let idleTimeout = self.idleTimeout
        return sessions.withLock { all -> WebSession? in
            guard var session = all[token] else { return nil }
            if time.timeIntervalSince(session.lastSeen) > idleTimeout {
                all[token] = nil
                return nil
            }
            session.lastSeen = time
            all[token] = session
            return session
        }
    }

    /// Changes a session in place (pending changes, the notice); false when it ended meanwhile.
    @discardableResult
    public func update(_ token: String, _ change: (inout WebSession) -> Void) -> Bool {
        sessions.withLock { all in
            guard var session = all[token] else { return false }
            change(&session)
            all[token] = session
            return true
        }
    }

    public func close(_ token: String) {
        _ = sessions.withLock { $0.removeValue(forKey: token) }
    }

    /// 256 bits from the kernel's random source, as 64 hex digits (cookie- and form-safe).
    static func randomToken() throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        guard getentropy(&bytes, bytes.count) == 0 else { throw WebError.entropy }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}

enum WebError: Error, CustomStringConvertible {
    case entropy
    case templates

    var description: String {
        switch self {
        case .entropy: return "The system's random source failed."
        case .templates: return "The page templates are missing or do not render."
        }
    }
}
