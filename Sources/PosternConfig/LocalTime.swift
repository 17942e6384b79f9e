import Foundation

/// Dates in local time through `strftime`: the mail log's `Sun Nov 29 10:00:00 2026` and
/// the CLI's commit times. Cheaper than a DateFormatter, and the same text either way.
public enum LocalTime {
    /// With `utc`, in UTC instead (the web interface's report hours, which the engine counts in UTC).
    public static func format(_ date: Date, _ pattern: String, utc: Bool = false) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
