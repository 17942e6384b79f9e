import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// A way back from every prompt (issue 14, section 4).
@Suite struct WayBackTests {
    /// Enter at a picker without a default goes back to the menu above (asyncos-cli.md
    /// l.1040): here the HAT menu, then up to the main prompt, nothing deleted.
    @Test func enterAtAPickerGoesBackToTheMenu() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "hostaccess", "delete", "1", "", "", "", "", "showchanges", "quit",
        ])
        #expect(result.status == 0)
        try Golden.check("picker-enter-goes-back", result.output)
        #expect(result.output.contains("No changes have been made since the last commit."))
    }

    /// The rollback list: Enter goes back to the rollbackconfig menu.
    @Test func enterAtTheRollbackListGoesBack() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit("second") { $0.delivery.suspended = true }
        let result = try Transcript.run(home: t.home, ["rollbackconfig", "rollback", "", "", "showchanges", "quit"])
        #expect(result.status == 0)
        try Golden.check("rollback-enter-goes-back", result.output)
    }

    /// Ctrl-C inside commit drops nothing: no `-- Changes not recorded.`, the change stays pending.
    @Test func ctrlCInsideCommitKeepsThePendingChanges() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, ["suspenddel", "commit", "^C", "commit", "later", "", "quit"])
        #expect(!result.output.contains("Changes not recorded"), "\(result.output)")
        #expect(try t.store.load().configuration.delivery.suspended)
    }

    /// Ctrl-C in a dialog that had changed something says so, and drops it.
    @Test func ctrlCAfterAChangeSaysItWasDropped() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "hostaccess", "default", "20M", "^C", "showchanges", "quit",
        ])
        #expect(result.output.contains("-- Changes not recorded."))
        #expect(result.output.contains("No changes have been made since the last commit."))
    }

    /// Ctrl-D at a terminal ends multi-line text (asyncos-cli.md l.1054) and the command goes on.
    @Test func ctrlDEndsMultiLineText() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "rcptaccess", "new", "gone@example.net", "2", "Y", "550",
            "This address is gone.", "^D", "", "", "", "commit", "gone", "", "quit",
        ], mode: .interactive)
        #expect(result.status == 0, "\(result.output)")
        let entry = try #require(try t.store.load().configuration.listeners[0].recipientAccess?.entries.first {
            $0.pattern.text == "gone@example.net"
        })
        #expect(entry.response == SMTPResponse(code: 550, text: "This address is gone."))
    }

    /// After a commit conflict answered N, the admin is told what to do next.
    @Test func aConflictAnsweredNoSaysWhatNext() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, ["suspenddel", "!other-commit", "commit", "mine", "", "N", "N", "quit", "Y"],
                                        hook: { line in
                                            guard line == "!other-commit" else { return false }
                                            try t.commit("theirs", user: "bob") { $0.listeners[0].maxConcurrency = 99 }
                                            return true
                                        })
        #expect(result.output.contains("Your changes are still pending."), "\(result.output)")
        #expect(result.output.contains("'showchanges'"))
    }
}

/// The TLS question as the seed shows it (issue 14, section 6b): three answers, then a
/// separate yes/no about client certificates; the batch's five values keep working.
@Suite struct TLSQuestionTests {
    @Test func preferredThenVerifyIsPreferredVerify() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "hostaccess", "default",
            "", "", "", "", "", "", "", "", "2", "Y", "", "", "", "", "",
            "commit", "verify", "", "quit",
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("Do you want to verify client certificates? [N]> Y"))
        #expect(result.output.contains("Use TLS: Preferred - Verify"))
        #expect(try t.store.load().configuration.listeners[0].hostAccess.defaultParameters.tls == .preferredVerify)
    }

    static let batchValues: [(value: String, level: TLSLevel)] = [
        ("no", .no), ("preferred", .preferred), ("required", .required),
        ("preferred-verify", .preferredVerify), ("required-verify", .requiredVerify),
    ]

    @Test(arguments: batchValues) func theBatchValuesKeepWorking(_ value: String, _ level: TLSLevel) throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit { $0.listeners[0].hostAccess.defaultParameters.tls = .requiredVerify }
        let result = try Transcript.batch(home: t.home,
                                          "listenerconfig edit InboundMail hostaccess default --tls=\(value)"
                                          + (level == .no ? "; " : " --demo=yes; ")
                                          + "commit tls Y")
        #expect(result.status == 0, "\(result.output)")
        #expect(try t.store.load().configuration.listeners[0].hostAccess.defaultParameters.tls == level)
    }
}

/// The RAT keeps first-match order visible (issue 14, section 5).
@Suite struct RecipientAccessOrderTests {
    @Test func newGoesBeforeBroaderAndMoveWarns() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig edit InboundMail rcptaccess new example.net accept N N",
            "listenerconfig edit InboundMail rcptaccess new blocked@example.net reject N",
            "listenerconfig", "edit", "InboundMail", "rcptaccess", "move", "blocked@example.net", "3", "print",
            "", "", "", "commit", "rat order", "", "quit",
        ])
        #expect(result.status == 0, "\(result.output)")
        try Golden.check("rat-order", result.output)
        #expect(result.output.contains("placed before the broader entry example.net"))
        #expect(result.output.contains("is now behind the broader entry example.net, so it will never match."))
        let entries = try #require(try t.store.load().configuration.listeners[0].recipientAccess?.entries)
        #expect(entries.map(\.pattern.text).suffix(2) == ["example.net", "blocked@example.net"])
    }
}
