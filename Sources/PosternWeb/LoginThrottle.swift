import Foundation
import PosternStore

/// Failed sign-ins per user name: after `limit` failures in a row the name is locked for
/// `lockout`, whatever password comes next (AsyncOS locks an account after repeated failed
/// logins). A success clears the count. The table is kept in `HOME/state/login-failures.json`
/// so a restart of posternweb does not unlock anyone, and holds at most `capacity` names: a
/// flood of made-up names evicts the oldest unlocked entries first, and never grows the file.
public struct LoginThrottle: Sendable {
    public let limit: Int
    public let lockout: TimeInterval
    public let capacity: Int
    struct Entry: Codable, Sendable, Equatable {
        var count: Int
        var lockedUntil: Date?
        var lastFailure: Date
    }
    private(set) var failures: [String: Entry] = [:]

    public init(limit: Int = 5, lockout: TimeInterval = 15 * 60, capacity: Int = 1000) {
        self.limit = limit
        self.lockout = lockout
        self.capacity = capacity
    }

    public var count: Int { failures.count }

    /// Whether failures of `user` are on record.
    public func isCounting(_ user: String) -> Bool { failures[user] != nil }

    /// Whether `user` may try now.
    public func isLocked(_ user: String, at time: Date) -> Bool {
        guard let until = failures[user]?.lockedUntil else { return false }
        return time < until
    }

    /// Records a failure; true when this one locked the name.
    public mutating func failed(_ user: String, at time: Date) -> Bool {
        var entry = failures[user] ?? Entry(count: 0, lockedUntil: nil, lastFailure: time)
        if let until = entry.lockedUntil, time >= until { entry = Entry(count: 0, lockedUntil: nil, lastFailure: time) }
        entry.count += 1
        entry.lastFailure = time
        let locks = entry.count >= limit && entry.lockedUntil == nil
        if locks { entry.lockedUntil = time.addingTimeInterval(lockout) }
        failures[user] = entry
        evict(at: time)
        return locks
    }

    public mutating func succeeded(_ user: String) {
        failures[user] = nil
    }

    /// Over capacity: expired locks and unlocked counts go first, oldest failure first; only
    /// when every entry is a live lock does the oldest lock go.
    private mutating func evict(at time: Date) {
        guard failures.count > capacity else { return }
        let order = failures.sorted { a, b in
            let aLive = a.value.lockedUntil.map { time < $0 } ?? false
            let bLive = b.value.lockedUntil.map { time < $0 } ?? false
            if aLive != bLive { return !aLive }
            return a.value.lastFailure < b.value.lastFailure
        }
        for (name, _) in order.prefix(failures.count - capacity) { failures[name] = nil }
    }

    // MARK: On disk

    private struct File: Codable { var failures: [String: Entry] }

    public static func file(_ home: Home) -> URL {
        home.root.appendingPathComponent("state", isDirectory: true).appendingPathComponent("login-failures.json")
    }

    /// The table as last written; an empty one when there is none or it cannot be read
    /// (a damaged file unlocks, it never locks everyone out).
    public mutating func load(_ home: Home) {
        guard let file = StateFile.read(File.self, from: LoginThrottle.file(home)) else { return }
        failures = file.failures
        evict(at: Date())
    }

    public func save(_ home: Home) throws {
        try StateFile.write(File(failures: failures), to: LoginThrottle.file(home))
    }
}
