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
        var bytes = MailLog.lineBuffer(lines: 1)
        append(level: event.level.rawValue, timestamp: timestamp(date), to: &bytes) { event.write(to: &$0) }
        emit(bytes)
    }

    /// Events that happen together (a connection's "New SMTP ICID" and its policy match), in
    /// one `write(2)`: the lines stay whole and in order, and a connection costs one system
    /// call less.
    public func write(_ events: [MailLogEvent], at date: Date = Date()) {
        let timestamp = self.timestamp(date)
        var bytes = MailLog.lineBuffer(lines: events.count)
        for event in events {
            append(level: event.level.rawValue, timestamp: timestamp, to: &bytes) { event.write(to: &$0) }
        }
        emit(bytes)
    }

    public func write(level: String, _ text: String, at date: Date = Date()) {
        var bytes = MailLog.lineBuffer(lines: 1)
        append(level: level, timestamp: timestamp(date), to: &bytes) { $0.append(contentsOf: text.utf8) }
        emit(bytes)
    }

    /// Room for `lines` typical lines, so that building them does not grow the buffer.
    private static func lineBuffer(lines: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(192 * lines)
        return bytes
    }

    /// `timestamp level: text` and a newline; `text` appends the line's text, which is then
    /// made printable in place (no string is built for the line).
    private func append(level: String, timestamp: String, to bytes: inout [UInt8],
                        text: (inout [UInt8]) -> Void) {
        bytes.append(contentsOf: timestamp.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: level.utf8)
        bytes.append(contentsOf: ": ".utf8)
        let start = bytes.count
        text(&bytes)
        MailLog.makePrintable(&bytes, from: start)
        bytes.append(UInt8(ascii: "\n"))
    }

    private func emit(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { _ = Foundation.write(fd, $0.baseAddress, $0.count) }
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
        var bytes = Array(text.utf8)
        makePrintable(&bytes, from: 0)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Control characters from `start` on, in place, as `?`.
    static func makePrintable(_ bytes: inout [UInt8], from start: Int) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for i in start..<buffer.count where buffer[i] < 0x20 || buffer[i] == 0x7f { buffer[i] = UInt8(ascii: "?") }
        }
    }

    /// `Sun Nov 29 10:00:00 2026`: the ctime form AsyncOS logs use, in local time.
    static func timestamp(_ date: Date) -> String {
        LocalTime.format(date, "%a %b %e %H:%M:%S %Y")
    }
}
