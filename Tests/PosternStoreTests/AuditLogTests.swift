import Foundation
import PosternStore
import PosternTestSupport
import Testing

@Suite struct AuditLogTests {
    /// cli.log quotes a command with the shared coder, like commits.log quotes a comment: a
    /// cipher string reads as typed, not as "HIGH\/TLSv1.3".
    @Test func aCommandIsQuotedAsTyped() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        AuditLog(url: t.home.cliLog).append(user: "admin", source: "local", command: "sslconfig inbound HIGH/TLSv1.3",
                                            result: "ok")
        let log = try String(contentsOf: t.home.cliLog, encoding: .utf8)
        #expect(log.contains(#"command="sslconfig inbound HIGH/TLSv1.3" result=ok"#))
        #expect(!log.contains(#"\/"#))
    }
}
