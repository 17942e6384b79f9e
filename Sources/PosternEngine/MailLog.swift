import Foundation
import NIOConcurrencyHelpers
import PosternConfig
import PosternSMTPCore

/// The AsyncOS-format mail log (`HOME/logs/mail.log`, asyncos-cli.md §7): one line per
/// event, `Sun Nov 29 10:00:00 2026 Info: New SMTP ICID 5 …`.
///
/// Each line goes out in one `write(2)` to a descriptor opened with O_APPEND, which the
/// kernel keeps whole whichever event loop writes it, so no lock is needed.
public final class MailLog: Sendable {
    private let fd: Int32
    /// The timestamp of the last second logged: most lines share it.
    private let stamp = NIOLockedValueBox((second: time_t(-1), text: ""))

    /// A log that cannot be opened, in words that name it (`cannot open logs/mail.log …`).
    public struct OpenError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot open the mail log \(path): \(reason)" }
    }

    public init(path: String) throws(OpenError) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw OpenError(path: path, reason: String(cString: strerror(errno))) }
    }

    deinit { close(fd) }

    public func write(_ event: MailLogEvent, at date: Date = Date()) {
        write(level: event.level.rawValue, event.line, at: date)
    }

    /// Events that happen together (a connection's "New SMTP ICID" and its policy match), in
    /// one `write(2)`: the lines stay whole and in order, and a connection costs one system
    /// call less.
    public func write(_ events: [MailLogEvent], at date: Date = Date()) {
        let timestamp = self.timestamp(date)
        var lines = events.map { "\(timestamp) \($0.level.rawValue): \(MailLog.printable($0.line))\n" }.joined()
        lines.withUTF8 { _ = Foundation.write(fd, $0.baseAddress, $0.count) }
    }

    public func write(level: String, _ text: String, at date: Date = Date()) {
        var line = "\(timestamp(date)) \(level): \(MailLog.printable(text))\n"
        line.withUTF8 { _ = Foundation.write(fd, $0.baseAddress, $0.count) }
    }

    /// The line's timestamp, formatted once per second.
    private func timestamp(_ date: Date) -> String {
        let second = time_t(date.timeIntervalSince1970)
        return stamp.withLockedValue { cached in
            if cached.second != second { cached = (second, MailLog.timestamp(date)) }
            return cached.text
        }
    }

    /// The text with every control character (C0, DEL) as `?`, as Postfix's printable()
    /// does: what a client sent (a subject, a Message-ID) can neither start a fake line nor
    /// send escape sequences to an administrator's terminal.
    static func printable(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return text }
        return String(decoding: text.utf8.map { $0 < 0x20 || $0 == 0x7f ? UInt8(ascii: "?") : $0 }, as: UTF8.self)
    }

    /// `Sun Nov 29 10:00:00 2026`: the ctime form AsyncOS logs use, in local time.
    static func timestamp(_ date: Date) -> String {
        LocalTime.format(date, "%a %b %e %H:%M:%S %Y")
    }
}
