import Foundation
import PosternConfig

/// Failed SMTP AUTH attempts per client address, shared by every session of the engine:
/// each failure waits longer before its `535` (doubling up to a cap), and an address that
/// reaches the limit gets `421` until it has been quiet for the window. A success clears
/// the address. Memory is one entry per address that failed within the window.
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

    /// Whether the address is at the limit now (AUTH is refused at once).
    public func isLockedOut(_ address: IPAddress, limits: SMTPAuthConfiguration) -> Bool {
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

    /// A success forgets the address's failures.
    public func recordSuccess(_ address: IPAddress) {
        lock.withLock { _ = entries.removeValue(forKey: address) }
    }

    /// Addresses with failures on record; for tests.
    public var trackedAddresses: Int { lock.withLock { entries.count } }

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
