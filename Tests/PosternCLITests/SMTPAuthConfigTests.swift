import Foundation
import PosternCertificates
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

@Suite struct SMTPAuthConfigTests {
    /// NEW (LDAP with a bind DN), PRINT, SETUP, then the listener's SMTPAUTH and the policy's
    /// AUTH questions, and commit. The password is typed but never shown.
    @Test func interactiveProfileForAListener() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "smtpauthconfig", "new", "corp", "9", "2", "http://dir", "ldap://127.0.0.1:3389", "",
            "cn=reader,dc=example,dc=com", "Sup3r-Secret", "", "dc=example,dc=com", "(uid=alice)", "", "", "", "", "",
            "print", "setup", "3", "", "", "", "",
            "listenerconfig", "edit", "InboundMail", "smtpauth", "2", "hostaccess", "default",
            "", "", "", "", "", "", "", "", "", "2", "", "", "",
            "commit", "auth", "", "quit",
        ])
        #expect(result.status == 0)
        #expect(!result.output.contains("Sup3r-Secret"))
        try Golden.check("smtpauthconfig", result.output)
        let committed = try t.store.load().configuration
        #expect(committed.listeners[0].smtpAuthProfile == "corp")
        #expect(committed.listeners[0].hostAccess.defaultParameters.smtpAuth == .preferred)
        #expect(committed.smtpAuthSettings.maxFailures == 3)
        guard case .ldap(let ldap)? = committed.smtpAuthSettings.profile(named: "corp")?.method,
            let file = ldap.bindPasswordFile
        else { Issue.record("no LDAP profile with a password file"); return }
        #expect(try AuthSecrets.load(file, profile: "corp", home: t.home) == "Sup3r-Secret")
        let mode = try FileManager.default.attributesOfItem(atPath: t.home.certificateFile(file).path)[.posixPermissions]
        #expect(mode as? Int == 0o640)
        let audit = try String(contentsOf: t.home.cliLog, encoding: .utf8)
        #expect(!audit.contains("Sup3r-Secret"))
    }

    /// A profile whose dialog does not finish (Ctrl-C, or a bad answer in a batch) records
    /// nothing, so its bind password must not be left on disk either.
    @Test func anUnfinishedProfileLeavesNoPasswordFile() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "smtpauthconfig", "new", "corp", "2", "ldap://127.0.0.1:3389", "", "cn=reader,dc=example,dc=com",
            "Sup3r-Secret", "dc=example,dc=com", "^C", "quit",
        ])
        #expect(result.output.contains("Changes not recorded"))
        let batch = try Transcript.batch(home: t.home, "smtpauthconfig new corp ldap --url=ldap://127.0.0.1:3389 "
            + "--base=dc=x --query='(uid={u})' --bind_dn=cn=r,dc=x --timeout=0")
        #expect(batch.status != 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: t.home.certsDirectory.path)
        #expect(files.filter { $0.hasSuffix(".secret") } == [])
    }

    @Test func deleteRefusesAProfileInUseAndBatchFormsWork() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        var result = try Transcript.batch(home: t.home, "smtpauthconfig new up forward --server=mx.example.com:587; "
            + "listenerconfig edit InboundMail smtpauth up; smtpauthconfig delete up")
        #expect(result.status != 0)
        #expect(result.output.contains("is used by the listener InboundMail"))
        result = try Transcript.batch(home: t.home, "smtpauthconfig new up forward --server=mx.example.com:587; "
            + "smtpauthconfig print")
        #expect(result.output.contains("Server: mx.example.com:587\nRequire TLS: Yes"))
        result = try Transcript.batch(home: t.home, "smtpauthconfig new up forward --server=mx.example.com:99999")
        #expect(result.status != 0)
        result = try Transcript.batch(home: t.home, "listenerconfig edit InboundMail smtpauth nothing")
        #expect(result.status != 0)
        result = try Transcript.batch(home: t.home, "smtpauthconfig new up forward --server=mx.example.com; "
            + "listenerconfig edit InboundMail smtpauth up; smtpauthconfig clear Y")
        #expect(result.status != 0)
        result = try Transcript.batch(home: t.home, "smtpauthconfig new up forward --server=mx.example.com; "
            + "smtpauthconfig clear Y; smtpauthconfig print")
        #expect(result.output.contains("All SMTP authentication profiles deleted.\n\nSMTP Authentication Profiles\n(none)"))
    }

    @Test(arguments: [
        ("a password option", "smtpauthconfig new x --bind_password=hunter2 --url=y", "smtpauthconfig new x --bind_password=[redacted] --url=y"),
        ("quoted, then more", "a --password='p w'; commit", "a --password=[redacted]; commit"),
        ("other options stay", "listenerconfig edit --tls=required", "listenerconfig edit --tls=required"),
    ])
    func theAuditLogHidesPasswordOptions(_ label: String, _ command: String, _ logged: String) {
        #expect(SecretRedaction.redact(command) == logged, "\(label)")
    }
}
