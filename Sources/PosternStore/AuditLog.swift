import Foundation

/// `HOME/logs/cli.log`: who ran which command, from where, and how it ended.
public struct AuditLog: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// The command with the value of any `--…password…=` or `--…secret…=` option hidden: no
    /// command takes a password as an argument, but one typed there anyway must not be kept.
    public static func redacted(_ command: String) -> String {
        var out = ""
        var rest = Substring(command)
        while let range = rest.range(of: "--") {
            out += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let name = rest.prefix { $0 != "=" && $0 != " " }
            let lower = name.lowercased()
            guard rest.dropFirst(name.count).first == "=", lower.contains("password") || lower.contains("secret") else {
                continue
            }
            out += name + "=*****"
            rest = rest.dropFirst(name.count + 1)
            if let quote = rest.first, quote == "'" || quote == "\"" {
                rest = rest.dropFirst().drop { $0 != quote }.dropFirst()
            }
            rest = rest.drop { $0 != " " && $0 != ";" }
        }
        return out + rest
    }

    public func append(user: String, source: String, command: String, result: String) {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o660)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let quoted = (try? JSONEncoder().encode(AuditLog.redacted(command))).flatMap { String(data: $0, encoding: .utf8) } ?? "\"\""
        let line = "\(ISO8601DateFormatter().string(from: Date())) user=\(user) source=\(source) pid=\(getpid()) "
            + "command=\(quoted) result=\(result)\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }
}
