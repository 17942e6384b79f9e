import Foundation
import PosternStore

/// Incoming TLS connections per hour (AsyncOS Monitor → TLS Connections), kept durably by the
/// engine in `HOME/reports/tls-hourly.json`. The engine adds the growth of its counters once
/// a second from its status timer, never from a connection's path, and writes the file only
/// when a count changed (temporary file, fsync, rename), so a crash loses at most that second.
/// `status` in the CLI and the web page read it.
public struct TLSReport: Codable, Sendable, Hashable {
    /// One hour, UTC, starting at `start`.
    public struct Hour: Codable, Sendable, Hashable {
        public var start: Date
        /// Handshakes completed on the listeners.
        public var succeeded: Int
        /// Handshakes that failed (bad ClientHello, no shared cipher, a refused certificate).
        public var failed: Int

        public init(start: Date, succeeded: Int = 0, failed: Int = 0) {
            self.start = start
            self.succeeded = succeeded
            self.failed = failed
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

    /// Adds counts to the hour of `date`, dropping hours older than `keptHours`.
    public mutating func add(succeeded: Int, failed: Int, at date: Date) {
        guard succeeded > 0 || failed > 0 else { return }
        let start = TLSReport.hourStart(date)
        if let last = hours.last, last.start == start {
            hours[hours.count - 1].succeeded += succeeded
            hours[hours.count - 1].failed += failed
        } else {
            hours.append(Hour(start: start, succeeded: succeeded, failed: failed))
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
            let inside = hours.filter { $0.start >= start && $0.start < end }
            return Hour(start: start, succeeded: inside.reduce(0) { $0 + $1.succeeded },
                        failed: inside.reduce(0) { $0 + $1.failed })
        }
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
