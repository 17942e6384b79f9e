import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// Every way in goes through PosternConfig's validation (issue 14, section 2): batch flags,
/// IMPORT, and commitcheck over a configuration that came in some other way.
@Suite struct OneValidationPathTests {
    static let refused: [(label: String, commands: String, says: String)] = [
        ("RAT import of REJECT 250", "listenerconfig edit InboundMail rcptaccess import rat.txt", "not 250"),
        ("RAT new with REJECT 999", "listenerconfig edit InboundMail rcptaccess new x@example.net reject Y 999 weird", "between 400 and 599"),
        ("route to 999.999.999.999", "smtproutes new partner.example 999.999.999.999", "neither an IP address"),
        ("destination bad_domain", "destconfig new bad_domain", "A hostname must be like"),
        ("certificate DNS name with a blank", "certconfig certificate new T --cn=mx.example.com --dns=\"bad name\"",
         "is not a DNS name"),
        ("non-ASCII acceptance response",
         "listenerconfig edit InboundMail hostaccess default --cust_acc=yes --acc_code=220 --acc_text=Grüße", "plain ASCII"),
    ]

    @Test(arguments: refused) func batchRefuses(_ label: String, _ commands: String, _ says: String) throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try ConfigurationFiles.prepare(t.home)
        try "lost@example.net REJECT 250 \"ok\"\nALL REJECT\n"
            .write(to: ConfigurationFiles.directory(t.home).appendingPathComponent("rat.txt"), atomically: true, encoding: .utf8)
        let result = try Transcript.batch(home: t.home, commands + "; commit bad Y")
        #expect(result.status == 1, "\(label): \(result.output)")
        #expect(result.output.contains(says), "\(label): \(result.output)")
        #expect(try t.store.load().commit.generation == 1, "\(label)")
    }

    /// A table that reached the committed configuration another way (an older version, a
    /// hand edit) is found by commitcheck, with its path.
    @Test func commitcheckFindsABadRATInTheWholeConfiguration() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit(checked: false) {
            $0.listeners[0].recipientAccess?.entries.insert(
                RecipientAccessEntry(pattern: try! RecipientPattern(parsing: "lost@example.net"), action: .reject,
                                     response: SMTPResponse(code: 250, text: "ok")), at: 0)
        }
        let result = try Transcript.batch(home: t.home, "commitcheck")
        #expect(result.status == 1)
        #expect(result.output.contains("listeners[InboundMail].recipientAccess.entries[lost@example.net].response.code"),
                "\(result.output)")
    }

    /// At a prompt, the RAT's code question names the range of the action chosen.
    @Test func theDialogAsksAgainForACodeOutOfRange() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "rcptaccess", "new", "lost@example.net", "2", "Y", "250", "550",
            "gone", "", "", "", "", "quit", "Y",
        ])
        #expect(result.output.contains("Value must be between 400 and 599."))
        #expect(result.status == 0)
    }
}
