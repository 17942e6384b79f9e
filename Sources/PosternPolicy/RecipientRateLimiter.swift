import Foundation
import PosternConfig

/// Recipients accepted per remote host over the last hour, for the mail flow policy's
/// "rate limiting per host" (`max_rcpts_per_hour`, asyncos-cli.md §2.5).
///
/// One limiter lives as long as the engine, so a reload neither forgets nor resets what a
/// host has sent; the limit itself comes from the policy each session was accepted under.
/// The hour slides: each host keeps the count of the current hour-long window and of the
/// one before, and the estimate weighs the earlier one by how much of it still lies within
/// the last hour. Memory is two counters per host heard from in the last two hours.
public final class RecipientRateLimiter: @unchecked Sendable {
    public struct Key: Hashable, Sendable {
        public var listener: String
        public var address: IPAddress

        public init(listener: String, address: IPAddress) {
            self.listener = listener
            self.address = address
        }
    }

    private struct Windows {
        var start: Double
        var current: Int
        var previous: Int
    }

    /// Seconds on a clock that never goes back.
    public typealias Clock = @Sendable () -> Double

    public let window: Double
    private let clock: Clock
    private let lock = NSLock()
    private var hosts: [Key: Windows] = [:]
    private var lastSweep: Double

    public init(window: Double = 3600, clock: @escaping Clock = RecipientRateLimiter.monotonicSeconds) {
        self.window = window
        self.clock = clock
        self.lastSweep = clock()
    }

    public static let monotonicSeconds: Clock = {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Recipients accepted from the host within the last window (an estimate that never
    /// counts a recipient older than two windows).
    public func used(_ key: Key) -> Int {
        let now = clock()
        return lock.withLock {
            guard var w = hosts[key] else { return 0 }
            roll(&w, to: now)
            hosts[key] = w
            let elapsed = (now - w.start) / window
            return w.current + Int((Double(w.previous) * (1 - elapsed)).rounded(.up))
        }
    }

    /// Counts recipients of a message the host has just had accepted.
    public func record(_ recipients: Int, for key: Key) {
        guard recipients > 0 else { return }
        let now = clock()
        lock.withLock {
            var w = hosts[key] ?? Windows(start: now, current: 0, previous: 0)
            roll(&w, to: now)
            w.current += recipients
            hosts[key] = w
            sweep(now)
        }
    }

    /// Hosts with a count; for tests and the engine's status.
    public var trackedHosts: Int { lock.withLock { hosts.count } }

    private func roll(_ w: inout Windows, to now: Double) {
        let passed = Int((now - w.start) / window)
        guard passed > 0 else { return }
        w.previous = passed == 1 ? w.current : 0
        w.current = 0
        w.start += Double(passed) * window
    }

    /// Forgets hosts silent for two windows, at most once a window's sixtieth.
    private func sweep(_ now: Double) {
        guard now - lastSweep >= window / 60 else { return }
        lastSweep = now
        hosts = hosts.filter { now - $0.value.start < 2 * window }
    }
}
