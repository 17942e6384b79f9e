import Foundation
import PosternConfig
import PosternStore

/// TLS connections per hour (AsyncOS Monitor → TLS Connections), incoming by the mail flow
/// policy's TLS level and outgoing by the destination's, kept durably by the engine in
/// `HOME/reports/tls-hourly.json`. The engine adds the growth of its counters once a second
/// from its status timer, never from a connection's path, and writes the file only when a
/// count changed (temporary file, fsync, rename), so a crash loses at most that second.
/// `status` in the CLI and the web page read it.
public struct TLSReport: Codable, Sendable, Hashable {
    public enum Direction: String, Codable, Sendable, CaseIterable { case incoming, outgoing }

    /// What became of one connection: TLS negotiated, TLS tried and failed, or no TLS at all
    /// (not offered, or not asked for: AsyncOS's "Unencrypted Connections").
    public enum Outcome: String, Codable, Sendable, CaseIterable { case succeeded, failed, unencrypted }

    /// One counter of an hour: a direction, a TLS level and an outcome.
    public struct Key: Hashable, Sendable {
        public var direction: Direction
        public var level: TLSLevel
        public var outcome: Outcome

        public init(_ direction: Direction, _ level: TLSLevel, _ outcome: Outcome) {
            self.direction = direction
            self.level = level
            self.outcome = outcome
        }

        /// `incoming preferred succeeded`: the form stored in the file and in the engine's counters.
        public var name: String { "\(direction.rawValue) \(level.rawValue) \(outcome.rawValue)" }

        public init?(name: String) {
            let parts = name.split(separator: " ").map(String.init)
            guard parts.count == 3, let direction = Direction(rawValue: parts[0]), let level = TLSLevel(rawValue: parts[1]),
                let outcome = Outcome(rawValue: parts[2])
            else { return nil }
            self.init(direction, level, outcome)
        }
    }

    /// One hour, UTC, starting at `start`.
    public struct Hour: Codable, Sendable, Hashable {
        public var start: Date
        /// Incoming handshakes completed, all levels (the only counts a report from before
        /// levels and directions has).
        public var succeeded: Int
        /// Incoming handshakes that failed (bad ClientHello, no shared cipher, a refused certificate).
        public var failed: Int
        /// By `Key.name`; empty in an hour written before levels and directions were counted.
        public var counts: [String: Int]

        public init(start: Date, succeeded: Int = 0, failed: Int = 0, counts: [String: Int] = [:]) {
            self.start = start
            self.succeeded = succeeded
            self.failed = failed
            self.counts = counts
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            start = try c.decode(Date.self, forKey: .start)
            // A damaged or hand-edited file may hold any number: negative ones count as none.
            succeeded = max(0, try c.decodeIfPresent(Int.self, forKey: .succeeded) ?? 0)
            failed = max(0, try c.decodeIfPresent(Int.self, forKey: .failed) ?? 0)
            counts = (try c.decodeIfPresent([String: Int].self, forKey: .counts) ?? [:]).mapValues { max(0, $0) }
        }

        public subscript(key: Key) -> Int { counts[key.name] ?? 0 }

        /// The sum over levels of one direction and outcome. Incoming successes and failures
        /// are the hour's totals, which also hold what a report from before levels counted,
        /// so `status` and the page agree on an old file.
        public func total(_ direction: Direction, _ outcome: Outcome) -> Int {
            if direction == .incoming && outcome == .succeeded { return succeeded }
            if direction == .incoming && outcome == .failed { return failed }
            return TLSLevel.allCases.reduce(0) { TLSReport.adding($0, self[Key(direction, $1, outcome)]) }
        }

        mutating func add(_ other: Hour) {
            succeeded = TLSReport.adding(succeeded, other.succeeded)
            failed = TLSReport.adding(failed, other.failed)
            counts.merge(other.counts, uniquingKeysWith: TLSReport.adding)
        }
    }

    /// Oldest first; at most `keptHours`, gaps not stored.
    public private(set) var hours: [Hour] = []
    /// Eight days: the last week's report always has seven whole days.
    public static let keptHours = 24 * 8

    public init() {}

    /// The hour `date` falls in.
    public static func hourStart(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
    }

    /// Adds incoming handshake counts of no known level to the hour of `date`.
    public mutating func add(succeeded: Int, failed: Int, at date: Date) {
        add(Hour(start: TLSReport.hourStart(date), succeeded: succeeded, failed: failed), at: date)
    }

    /// Adds counts by `Key.name` to the hour of `date`; incoming successes and failures count
    /// in the hour's totals too. Names this version does not know are kept as they are.
    public mutating func add(_ counts: [String: Int], at date: Date) {
        var hour = Hour(start: TLSReport.hourStart(date), counts: counts.filter { $0.value > 0 })
        for (name, count) in hour.counts {
            guard let key = Key(name: name), key.direction == .incoming else { continue }
            if key.outcome == .succeeded { hour.succeeded = TLSReport.adding(hour.succeeded, count) }
            if key.outcome == .failed { hour.failed = TLSReport.adding(hour.failed, count) }
        }
        add(hour, at: date)
    }

    /// Adds `hour` to the hour of `date`, dropping hours older than `keptHours`.
    private mutating func add(_ hour: Hour, at date: Date) {
        guard hour.succeeded > 0 || hour.failed > 0 || !hour.counts.isEmpty else { return }
        let start = TLSReport.hourStart(date)
        if let last = hours.last, last.start == start {
            hours[hours.count - 1].add(hour)
        } else {
            hours.append(hour)
        }
        let oldest = start.addingTimeInterval(-Double(TLSReport.keptHours - 1) * 3600)
        hours.removeAll { $0.start < oldest }
    }

    /// The 24 hours up to and including the one `now` is in, oldest first, empty ones as zero.
    public func lastDay(now: Date) -> [Hour] {
        let current = TLSReport.hourStart(now)
        return (0..<24).reversed().map { back in
            let start = current.addingTimeInterval(-Double(back) * 3600)
            return hours.first { $0.start == start } ?? Hour(start: start)
        }
    }

    /// The 7 days (UTC) up to and including today, oldest first, each the sum of its hours.
    public func lastWeek(now: Date) -> [Hour] {
        let today = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 86400).rounded(.down) * 86400)
        return (0..<7).reversed().map { back in
            let start = today.addingTimeInterval(-Double(back) * 86400)
            let end = start.addingTimeInterval(86400)
            var day = Hour(start: start)
            for hour in hours where hour.start >= start && hour.start < end { day.add(hour) }
            return day
        }
    }

    /// Counts add up to `Int.max` and stay there: a file's numbers cannot crash a reader.
    public static func adding(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? Int.max : Int.min) : sum
    }

    /// `hours` added together, for a summary line.
    public static func sum(_ hours: [Hour]) -> Hour {
        var total = Hour(start: hours.first?.start ?? Date(timeIntervalSince1970: 0))
        for hour in hours { total.add(hour) }
        return total
    }

    public static func file(_ home: Home) -> URL {
        home.root.appendingPathComponent("reports", isDirectory: true).appendingPathComponent("tls-hourly.json")
    }

    /// The report on disk; an empty one when there is none or it cannot be read.
    public static func read(_ home: Home) -> TLSReport {
        StateFile.read(TLSReport.self, from: file(home)) ?? TLSReport()
    }

    public func write(_ home: Home) throws {
        try StateFile.write(self, to: TLSReport.file(home))
    }
}

extension TLSReport {
    /// The levels a report shows, in AsyncOS's order (required before preferred); "No" has
    /// only unencrypted connections.
    public static let shownLevels: [TLSLevel] = [.required, .requiredVerify, .preferred, .preferredVerify]

    /// One direction of `hour` in a line: `Preferred 1 succeeded, 0 failed; 2 unencrypted`,
    /// levels without connections left out (`status` prints it).
    public static func summary(_ hour: Hour, _ direction: Direction) -> String {
        var parts: [String] = []
        for level in shownLevels {
            let succeeded = hour[Key(direction, level, .succeeded)], failed = hour[Key(direction, level, .failed)]
            if succeeded > 0 || failed > 0 { parts.append("\(level.label) \(succeeded) succeeded, \(failed) failed") }
        }
        parts.append("\(hour.total(direction, .unencrypted)) unencrypted")
        return parts.joined(separator: "; ")
    }
}
