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
        append(event, timestamp: timestamp(date), to: &bytes)
        emit(bytes)
    }

    /// Events that happen together (a connection's "New SMTP ICID" and its policy match), in
    /// one `write(2)`: the lines stay whole and in order, and a connection costs one system
    /// call less.
    public func write(_ events: [MailLogEvent], at date: Date = Date()) {
        let timestamp = self.timestamp(date)
        var bytes = MailLog.lineBuffer(lines: events.count)
        for event in events { append(event, timestamp: timestamp, to: &bytes) }
        emit(bytes)
    }

    public func write(level: String, _ text: String, at date: Date = Date()) {
        var bytes = MailLog.lineBuffer(lines: 1)
        append(level: level, text, timestamp: timestamp(date), to: &bytes)
        emit(bytes)
    }

    /// Room for `lines` typical lines, so that building them does not grow the buffer.
    private static func lineBuffer(lines: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(192 * lines)
        return bytes
    }

    /// `timestamp level: text` and a newline, the text made printable on the way (no string
    /// is built for the line).
    private func append(level: String, _ text: String, timestamp: String, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: timestamp.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: level.utf8)
        bytes.append(contentsOf: ": ".utf8)
        MailLog.appendPrintable(text, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// The same for an event, whose text is written straight into the buffer.
    private func append(_ event: MailLogEvent, timestamp: String, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: timestamp.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: event.level.rawValue.utf8)
        bytes.append(contentsOf: ": ".utf8)
        let start = bytes.count
        event.write(to: &bytes)
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
        var bytes: [UInt8] = []
        appendPrintable(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Control characters from `start` on, in place, as `?`.
    static func makePrintable(_ bytes: inout [UInt8], from start: Int) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for i in start..<buffer.count where buffer[i] < 0x20 || buffer[i] == 0x7f { buffer[i] = UInt8(ascii: "?") }
        }
    }

    static func appendPrintable(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            guard utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 { bytes.append(byte < 0x20 || byte == 0x7f ? UInt8(ascii: "?") : byte) }
        }
    }

    /// `Sun Nov 29 10:00:00 2026`: the ctime form AsyncOS logs use, in local time.
    static func timestamp(_ date: Date) -> String {
        LocalTime.format(date, "%a %b %e %H:%M:%S %Y")
    }
}
