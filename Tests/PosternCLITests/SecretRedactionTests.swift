import Foundation
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

@Suite struct SecretRedactionTests {
    static let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"

    @Test(arguments: [
        ("certconfig certificate paste P --cert=x --key='\(key)'", "--key=[redacted]"),
        ("certconfig certificate paste P --key=\"\(key)\"", "--key=[redacted]"),
        ("x --passphrase=hunter2 --days=30", "--passphrase=[redacted] --days=30"),
        ("x --PASSWORD='two words'", "--PASSWORD=[redacted]"),
        ("pasted \(key) after", "pasted [private key redacted] after"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow cut short", "[private key redacted]"),
    ])
    func secretsNeverReachTheText(input: String, expected: String) {
        let out = SecretRedaction.redact(input)
        #expect(out.contains(expected))
        #expect(!out.contains("MIIE"))
        #expect(!out.contains("hunter2"))
    }

    /// `--key=` names a key type for certconfig NEW: that stays, anything else is hidden.
    @Test(arguments: [
        ("certconfig certificate new E --cn=x --key=ecdsa --dns=x", "--key=ecdsa --dns=x"),
        ("certconfig certificate new R --key=RSA; commit", "--key=RSA; commit"),
        ("x --key=rsafoo", "--key=[redacted]"),
    ])
    func keyTypesStay(input: String, expected: String) {
        #expect(SecretRedaction.redact(input).hasSuffix(expected))
    }

    @Test func textWithoutSecretsIsUnchanged() {
        let line = #"listenerconfig edit InboundMail hostaccess default --tls=required; commit "keys rotated" Y"#
        #expect(SecretRedaction.redact(line) == line)
    }

    /// The audit log of a real batch session holds no key material.
    @Test func cliLogHoldsNoPrivateKey() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        _ = try Transcript.batch(home: t.home, "certconfig certificate paste Partner --key='\(Self.key)'")
        let log = try String(contentsOf: t.home.cliLog, encoding: .utf8)
        #expect(log.contains("certconfig certificate paste Partner"))
        #expect(!log.contains("MIIE"))
        #expect(!log.contains("BEGIN PRIVATE KEY"))
    }
}

@Suite struct PrivateFileTests {
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "postern-private-\(UUID())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aNewFileIsCreatedPrivate() throws {
        let path = try Self.directory() + "/admin"
        let fd = try PrivateFile.open(path, write: true)
        close(fd)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func aSymbolicLinkIsNeverFollowed() throws {
        let dir = try Self.directory()
        let target = dir + "/elsewhere"
        FileManager.default.createFile(atPath: target, contents: Data("keep".utf8))
        symlink(target, dir + "/admin")
        #expect(throws: PrivateFile.Refused.self) { try PrivateFile.open(dir + "/admin", write: true) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
    }

    @Test func aPreCreatedFileOfAnotherUserIsRefused() throws {
        let path = try Self.directory() + "/admin"
        FileManager.default.createFile(atPath: path, contents: Data())
        // Only root can give a file away; elsewhere this case cannot be set up.
        guard geteuid() == 0, chown(path, 4242, 4242) == 0 else { return }
        #expect(throws: PrivateFile.Refused.self) { try PrivateFile.open(path, write: true) }
    }
}
