import Foundation
import PosternStore
import PosternTLS
import PosternTestSupport
import Testing
@testable import PosternCLI

/// `postern -c`: the batch stops at the first failing command, exits 0 only if all
/// succeeded, and finds argument errors before a command acts (issue 14, section 3).
@Suite struct BatchExitStatusTests {
    /// Each case: commands that must fail, and text that must not appear (what the failing
    /// command or a later one would have printed had it run).
    static let failing: [(label: String, commands: String, mustNotPrint: String)] = [
        ("commit with a word too many", "resumedel; commit \"a\" Y extra", "Changes committed"),
        ("status with a word", "status extra; who", "Committed configuration"),
        ("who with a word", "who extra; status", "Username"),
        ("commitcheck with a word", "commitcheck extra", "configuration is valid"),
        ("rollback not confirmed", "rollbackconfig rollback 1; commit \"rolled back\" Y", "Changes committed"),
        ("rollback declined", "rollbackconfig rollback 1 N; commit \"rolled back\" Y", "Changes committed"),
        ("TLS without the demo certificate",
         "listenerconfig edit InboundMail hostaccess default --tls=required --demo=no; commit tls Y", "Changes committed"),
        ("showchanges with a word", "resumedel; showchanges extra", "delivery"),
    ]

    @Test(arguments: failing) func failsBeforeActing(_ label: String, _ commands: String, _ mustNotPrint: String) throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit("second") { $0.delivery.suspended = true }
        let result = try Transcript.batch(home: t.home, commands)
        #expect(result.status == 1, "\(label): \(result.output)")
        #expect(!result.output.contains(mustNotPrint), "\(label): \(result.output)")
        #expect(try t.store.load().commit.generation == 2, "\(label)")
    }

    @Test func aConfirmedRollbackSucceeds() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit("second") { $0.delivery.suspended = true }
        let result = try Transcript.batch(home: t.home, "rollbackconfig rollback 1 Y; commit \"rolled back\" Y")
        #expect(result.status == 0, "\(result.output)")
        #expect(try t.store.load().configuration.delivery.suspended == false)
    }

    /// `key does not sign certificate` used to exit 0 and let the batch go on.
    @Test func aKeyThatDoesNotSignTheCertificateFailsTheBatch() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let pki = try TestPKI(serverName: "mx.example.com")
        try ConfigurationFiles.prepare(t.home)
        let directory = ConfigurationFiles.directory(t.home)
        try pki.server.certificate.pem.write(to: directory.appendingPathComponent("a.crt"), atomically: true, encoding: .utf8)
        try pki.client.key.pem.write(to: directory.appendingPathComponent("b.key"), atomically: true, encoding: .utf8)
        try pki.server.key.pem.write(to: directory.appendingPathComponent("a.key"), atomically: true, encoding: .utf8)
        let bad = try Transcript.batch(home: t.home, "certconfig certificate import X a.crt b.key; suspenddel; commit x Y")
        #expect(bad.status == 1)
        #expect(bad.output.contains("key does not sign certificate"))
        #expect(!bad.output.contains("Changes committed"))
        #expect(try t.store.load().commit.generation == 1)
        let good = try Transcript.batch(home: t.home, "certconfig certificate import X a.crt a.key; commit x Y")
        #expect(good.status == 0, "\(good.output)")
        #expect(try t.store.load().configuration.certificates.map(\.name).contains("X"))
    }

    /// In a pipe, errors go to stderr; stdout keeps the prompts and results.
    @Test func aPipeWritesErrorsToStderr() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let output = CapturedOutput()
        let session = try CLISession(home: t.home, store: t.store,
                                     dialog: Dialog(reader: ScriptedLineReader(["nosuchcommand", "status"], output: output),
                                                    output: output, mode: .piped),
                                     user: "admin", source: "local")
        #expect(session.run() == 1)
        #expect(output.errors == "Unknown command: nosuchcommand. Type 'help' for a list of commands.\n")
    }

    /// At a terminal an earlier failed command does not make the session's exit status fail.
    @Test func aTerminalSessionExitsZeroAfterAFailedCommand() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, ["nosuchcommand", "status extra", "quit"], mode: .interactive)
        #expect(result.output.contains("Unknown command: nosuchcommand"))
        #expect(result.status == 0)
    }
}
