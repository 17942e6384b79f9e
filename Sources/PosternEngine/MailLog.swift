import Foundation
import PosternSMTPCore

/// The AsyncOS-format mail log (`HOME/logs/mail.log`, asyncos-cli.md §7): one line per
/// event, `Sun Nov 29 10:00:00 2026 Info: New SMTP ICID 5 …`.
///
/// Each line goes out in one `write(2)` to a descriptor opened with O_APPEND, which the
/// kernel keeps whole whichever event loop writes it, so no lock is needed.
public final class MailLog: Sendable {
    private let fd: Int32

    public init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    deinit { close(fd) }

    public func write(_ event: MailLogEvent, at date: Date = Date()) {
        write(level: event.level.rawValue, event.line, at: date)
    }

    public func write(level: String, _ text: String, at date: Date = Date()) {
        let line = "\(MailLog.timestamp(date)) \(level): \(text.replacing("\n", with: " "))\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    }

    /// `Sun Nov 29 10:00:00 2026`: the ctime form AsyncOS logs use, in local time.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let n = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y", &parts)
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
