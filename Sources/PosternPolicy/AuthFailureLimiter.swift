import Foundation
import PosternConfig

/// Failed SMTP AUTH attempts per client address, shared by every session of the engine:
/// each failure waits longer before its `535` (doubling up to a cap), and an address that
/// reaches the limit gets `421` until it has been quiet for the window. A success does not
/// clear the count: a client with one password of its own (its own account) could otherwise
/// reset it between guesses at everyone else's. IPv6 clients are counted per /84, as
/// Postfix's anvil does (`smtpd_client_ipv6_prefix_length`): one host holds a /64 or more.
/// Memory is one entry per address (or IPv6 prefix) that failed within the window.
public final class AuthFailureLimiter: @unchecked Sendable {
    /// What a failure earns.
    public struct Verdict: Sendable, Equatable {
        /// Milliseconds before the reply.
        public var delayMilliseconds: Int
        /// The limit is reached: `421` and close instead of `535`.
        public var lockedOut: Bool

        public init(delayMilliseconds: Int, lockedOut: Bool) {
            self.delayMilliseconds = delayMilliseconds
            self.lockedOut = lockedOut
        }
    }

    private struct Entry {
        var failures: Int
        var last: Double
    }

    public typealias Clock = RecipientRateLimiter.Clock

    private let clock: Clock
    private let lock = NSLock()
    private var entries: [IPAddress: Entry] = [:]

    public init(clock: @escaping Clock = RecipientRateLimiter.monotonicSeconds) {
        self.clock = clock
    }

    /// The bits of an IPv6 address that count as one client (Postfix's default).
    public static let ipv6PrefixLength = 84

    /// Whether the address is at the limit now (AUTH is refused at once).
    public func isLockedOut(_ address: IPAddress, limits: SMTPAuthConfiguration) -> Bool {
        let address = Self.client(address)
        let now = clock()
        return lock.withLock {
            guard let entry = current(address, now: now, window: Double(limits.failureWindowSeconds)) else {
                return false
            }
            return entry.failures >= limits.maxFailures
        }
    }

    /// Counts a failure and says how it is answered.
    public func recordFailure(_ address: IPAddress, limits: SMTPAuthConfiguration) -> Verdict {
        let address = Self.client(address)
        let now = clock()
        return lock.withLock {
            var entry = current(address, now: now, window: Double(limits.failureWindowSeconds))
                ?? Entry(failures: 0, last: now)
            entry.failures += 1
            entry.last = now
            entries[address] = entry
            if entries.count > 4096 { sweep(now, window: Double(limits.failureWindowSeconds)) }
            let doublings = min(entry.failures - 1, 20)
            let delay = min(limits.failureDelayMilliseconds << doublings, limits.maxFailureDelayMilliseconds)
            return Verdict(delayMilliseconds: delay, lockedOut: entry.failures >= limits.maxFailures)
        }
    }

    /// Addresses with failures on record; for tests.
    public var trackedAddresses: Int { lock.withLock { entries.count } }

    /// What failures are counted against: an IPv4 address, or an IPv6 address's /84.
    static func client(_ address: IPAddress) -> IPAddress {
        switch address.unmapped {
        case .v4(let v): return .v4(v)
        case .v6(let v): return .v6(v & ~(UInt128.max >> ipv6PrefixLength))
        }
    }

    private func current(_ address: IPAddress, now: Double, window: Double) -> Entry? {
        guard let entry = entries[address] else { return nil }
        if now - entry.last >= window {
            entries[address] = nil
            return nil
        }
        return entry
    }

    private func sweep(_ now: Double, window: Double) {
        entries = entries.filter { now - $0.value.last < window }
    }
}
