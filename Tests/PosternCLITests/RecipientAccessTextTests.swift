import PosternConfig
import PosternTestSupport
import Testing
@testable import PosternCLI

/// The RAT text form of PRINT, EXPORT and IMPORT, with the receiving-control bypass flag.
@Suite struct RecipientAccessTextTests {
    func parsed(_ text: String) -> RecipientAccessTable? {
        switch RecipientAccessText.parse(text) {
        case .success(let table): return table
        case .failure(let error):
            Issue.record("did not parse: \(error.text)")
            return nil
        }
    }

    @Test func bypassRoundTripsAndOnlyAcceptMayBypass() throws {
        let text = """
            # partners
            postmaster@ ACCEPT BYPASS_RC
            vip@example.com ACCEPT 250 "welcome BYPASS_RC" bypass_rc
            example.com ACCEPT
            ALL REJECT

            """
        guard let table = parsed(text) else { return }
        #expect(table.entries.map(\.bypassReceivingControl) == [true, true, false])
        #expect(table.entries[1].response == SMTPResponse(code: 250, text: "welcome BYPASS_RC"))
        let rendered = RecipientAccessText.render(table)
        #expect(rendered == """
            postmaster@ ACCEPT BYPASS_RC
            vip@example.com ACCEPT 250 "welcome BYPASS_RC" BYPASS_RC
            example.com ACCEPT
            ALL REJECT

            """)
        #expect(parsed(rendered) == table)
        guard case .failure(let error) = RecipientAccessText.parse("bad@example.com REJECT BYPASS_RC\n") else {
            Issue.record("a rejecting entry that bypasses was accepted")
            return
        }
        #expect(error.text == "Line 1: only an ACCEPT entry can bypass receiving control.")
    }

    @Test func theDialogAsksForTheBypassOnAcceptEntriesOnly() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home,
            "listenerconfig edit InboundMail rcptaccess new vip@example.com accept N Y; "
                + "listenerconfig edit InboundMail rcptaccess new bad@example.com reject N; commit rat Y")
        #expect(result.status == 0, "\(result.output)")
        let entries = try t.store.load().configuration.listeners[0].recipientAccess!.entries
        let vip = entries.first { $0.pattern.text == "vip@example.com" }
        let bad = entries.first { $0.pattern.text == "bad@example.com" }
        #expect(vip?.bypassReceivingControl == true)
        #expect(bad?.bypassReceivingControl == false)
    }
}
