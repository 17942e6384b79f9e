import Foundation
import PosternConfig
import PosternTLS

/// Checks SMTP AUTH credentials against an LDAP directory (an smtpauthconfig LDAP profile):
/// bind as the profile's DN (or anonymously), find the user with the profile's query, then
/// bind as that entry with the password (or compare `userPassword`).
///
/// Calls block for at most the profile's timeout per step: run them on a worker thread.
/// Connections are kept and reused, at most `maxConnections`; a reused one that turns out
/// dead is replaced once. Successes are remembered for `cacheSeconds`, keyed by a salted
/// SHA-256 of the user name and password, never the password.
public final class LDAPAuthenticator: @unchecked Sendable {
    // @unchecked: the pool and the cache are touched only under `lock`; the settings are constants.

    /// What the directory said.
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// The credentials are wrong (no such user, a bad password), with why, for TEST.
        case rejected(String)
        /// The directory could not be asked: a temporary failure.
        case unavailable(String)
    }

    /// A kept connection and whom it is bound as.
    private final class Pooled {
        let connection: LDAPConnection
        var boundAsService = false
        init(_ connection: LDAPConnection) { self.connection = connection }
    }

    public let settings: LDAPAuthSettings
    private let bindPassword: String?
    private let caFile: String?
    private let salt = Digest.randomBytes(16)
    private let clock: @Sendable () -> Double
    private let lock = NSLock()
    private var idle: [Pooled] = []
    private var cache: [[UInt8]: Double] = [:]

    /// `caFile`: the authorities that verify the directory's certificate; nil uses the system's.
    public init(settings: LDAPAuthSettings, bindPassword: String?, caFile: String? = nil,
                clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.settings = settings
        self.bindPassword = bindPassword
        self.caFile = caFile
        self.clock = clock
    }

    /// Checks the credentials; `report` hears each step, in words, for smtpauthconfig TEST.
    public func authenticate(user: String, password: String, report: ((String) -> Void)? = nil) -> Outcome {
        // An empty password is an unauthenticated bind, which succeeds (RFC 4513 §5.1.2).
        guard !user.isEmpty, !password.isEmpty else { return .rejected("an empty user name or password") }
        let key = cacheKey(user: user, password: password)
        if settings.cacheSeconds > 0, isCached(key) {
            report?("Found in the cache of recent successful authentications.")
            return .accepted
        }
        var outcome = attempt(user: user, password: password, report: report)
        if case .retry(let why) = outcome {
            report?("The kept connection failed (\(why)); trying a new one.")
            outcome = attempt(user: user, password: password, report: report, fresh: true)
        }
        switch outcome {
        case .done(.accepted):
            if settings.cacheSeconds > 0 { remember(key) }
            return .accepted
        case .done(let result):
            return result
        case .retry(let why):
            return .unavailable(why)
        }
    }

    private enum Attempt {
        case done(Outcome)
        /// A reused connection failed as if the directory had gone; a fresh one may work.
        case retry(String)
    }

    private func attempt(user: String, password: String, report: ((String) -> Void)?, fresh: Bool = false) -> Attempt {
        var reused = false
        let pooled: Pooled
        if !fresh, let kept = takeIdle() {
            pooled = kept
            reused = true
            report?("Reusing a connection to \(settings.url).")
        } else {
            do {
                pooled = Pooled(try LDAPConnection(url: settings.url, timeoutSeconds: settings.timeoutSeconds,
                                                   caFile: caFile))
                report?("Connecting to \(settings.url).")
                if settings.startTLS {
                    try pooled.connection.startTLS()
                    report?("StartTLS: the connection is encrypted.")
                }
            } catch {
                report?("Failed: \(error).")
                return .done(.unavailable("\(error)"))
            }
        }
        func unavailable(_ error: LDAPError) -> Attempt {
            report?("Failed: \(error).")
            return reused && error.isUnavailable ? .retry("\(error)") : .done(.unavailable("\(error)"))
        }
        do {
            if !pooled.boundAsService {
                try pooled.connection.bind(dn: settings.bindDN ?? "", password: bindPassword ?? "")
                pooled.boundAsService = true
                report?(settings.bindDN.map { "Bound as \($0)." } ?? "Bound anonymously.")
            }
        } catch {
            return unavailable(error)
        }
        let filter = settings.filter(forUser: user)
        let dns: [String]
        do {
            dns = try pooled.connection.search(base: settings.baseDN, filter: filter)
            report?("Searched \(settings.baseDN) for \(filter): \(dns.count == 1 ? dns[0] : "\(dns.count) entries").")
        } catch {
            return unavailable(error)
        }
        guard dns.count == 1 else {
            giveBack(pooled)
            return .done(.rejected(dns.isEmpty ? "no entry matches the query" : "more than one entry matches the query"))
        }
        do {
            if settings.bindAsUser {
                pooled.boundAsService = false
                try pooled.connection.bind(dn: dns[0], password: password)
                report?("Bound as \(dns[0]) with the password: the credentials are valid.")
            } else {
                guard try pooled.connection.compare(dn: dns[0], attribute: "userPassword", value: password) else {
                    giveBack(pooled)
                    report?("The password does not match userPassword of \(dns[0]).")
                    return .done(.rejected("the password does not match"))
                }
                report?("The password matches userPassword of \(dns[0]): the credentials are valid.")
            }
        } catch {
            if error.isInvalidCredentials {
                giveBack(pooled)
                report?("The directory refused the password of \(dns[0]).")
                return .done(.rejected("the directory refused the password"))
            }
            if error.isUnavailable { return unavailable(error) }
            giveBack(pooled)
            report?("Refused: \(error).")
            return .done(.rejected("\(error)"))
        }
        giveBack(pooled)
        return .done(.accepted)
    }

    // MARK: Pool

    private func takeIdle() -> Pooled? {
        lock.withLock { idle.popLast() }
    }

    private func giveBack(_ pooled: Pooled) {
        lock.withLock {
            if idle.count < settings.maxConnections { idle.append(pooled) }
        }
    }

    /// Connections kept open now; for tests and status.
    public var idleConnections: Int { lock.withLock { idle.count } }

    // MARK: Cache

    private func cacheKey(user: String, password: String) -> [UInt8] {
        Digest.sha256(salt + Array(user.utf8) + [0] + Array(password.utf8))
    }

    private func isCached(_ key: [UInt8]) -> Bool {
        let now = clock()
        return lock.withLock {
            guard let expiry = cache[key] else { return false }
            if expiry > now { return true }
            cache[key] = nil
            return false
        }
    }

    private func remember(_ key: [UInt8]) {
        let now = clock()
        lock.withLock {
            if cache.count >= 10_000 { cache = cache.filter { $0.value > now } }
            if cache.count < 10_000 { cache[key] = now + Double(settings.cacheSeconds) }
        }
    }
}
