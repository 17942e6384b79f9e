import Foundation
import PosternConfig

/// `HOME/logs/cli.log`: who ran which command, from where, and how it ended.
public struct AuditLog: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    public func append(user: String, source: String, command: String, result: String) {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o660)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let quoted = (try? JSONCoding.compact.encode(SecretRedaction.redact(command))).flatMap { String(data: $0, encoding: .utf8) } ?? "\"\""
        let line = "\(ISO8601DateFormatter().string(from: Date())) user=\(user) source=\(source) pid=\(getpid()) "
            + "command=\(quoted) result=\(result)\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }
}
