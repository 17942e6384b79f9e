import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// Input script → exact output. The expected outputs are files beside this one; with
/// POSTERN_UPDATE_GOLDEN=1 the test writes them instead (then read the diff before committing).
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    static func check(_ name: String, _ output: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name + ".txt")
        let normalized = Transcript.normalized(output)
        if ProcessInfo.processInfo.environment["POSTERN_UPDATE_GOLDEN"] == "1" {
            try normalized.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        if normalized != expected {
            let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let b = normalized.split(separator: "\n", omittingEmptySubsequences: false)
            let line = Array(zip(a, b)).firstIndex { $0 != $1 } ?? min(a.count, b.count)
            Issue.record("""
                \(name): differs at line \(line + 1)
                expected: \(line < a.count ? String(a[line]) : "<end>")
                actual:   \(line < b.count ? String(b[line]) : "<end>")
                """, sourceLocation: sourceLocation)
        }
    }
}

@Suite struct GoldenTranscriptTests {
    /// The seed thread's flow: listenerconfig → edit → hostaccess → default → TLS Required →
    /// commit with a comment; the listener summary then says `TLS: Required`.
    @Test func seedFlowRequiresTLS() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "hostaccess", "default",
            "", "", "", "", "", "", "", "", "3", "", "", "", "", "", "",
            "commit", "enabled TLS on InboundMail", "",
            "listenerconfig", "edit", "1", "", "", "quit",
        ])
        #expect(result.status == 0)
        try Golden.check("seed-tls-required", result.output)
        let committed = try t.store.load()
        #expect(committed.commit.generation == 2)
        #expect(committed.commit.comment == "enabled TLS on InboundMail")
        #expect(committed.configuration.listeners[0].hostAccess.defaultParameters.tls == .required)
    }

    /// sslconfig → inbound → method → cipher string → commit; RC4 is refused plainly first.
    @Test func sslconfigInboundCiphers() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "sslconfig", "inbound", "", "RC4-SHA:RC4-MD5", "HIGH:!aNULL", "", "", "", "",
            "commit", "Limited TLS ciphers", "", "quit",
        ])
        #expect(result.status == 0)
        try Golden.check("sslconfig-inbound", result.output)
        let inbound = try t.store.load().configuration.ssl.inbound
        #expect(inbound.ciphers == "HIGH:!aNULL")
        #expect(inbound.methods.description == "tlsv1.2/tlsv1.3")
    }

    /// A partner's servers in their own sender group, under a policy with TLS Preferred.
    @Test func partnerSenderGroupWithTLSPreferred() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "hostaccess",
            "new", "2", "PARTNER_TLS", "1", "Y", "", "", "", "", "", "", "", "", "2", "", "", "",
            "new", "1", "PARTNERS", "10.1.1.0/24, .partner.example", "PARTNER_TLS", "", "TLS from our partner",
            "print", "", "", "",
            "commit", "partner TLS", "", "quit",
        ])
        #expect(result.status == 0)
        try Golden.check("partner-sender-group", result.output)
        let hat = try t.store.load().configuration.listeners[0].hostAccess
        #expect(hat.senderGroups.first?.name == "PARTNERS")
        #expect(hat.senderGroups.first?.action == .policy("PARTNER_TLS"))
        #expect(hat.policy(named: "PARTNER_TLS")?.overrides.tls == .preferred)
        #expect(hat.defaultParameters.tls == .no)
    }

    /// Bad answers at every kind of prompt: each prints its error and asks again.
    @Test func badAnswersAreAskedAgain() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "frob", "edit", "7", "Nope", "InboundMail",
            "limits", "0", "many", "500", "100000000", "60",
            "hostaccess", "default", "10Q", "5M", "0", "", "", "", "maybe", "N", "", "", "Y", "-5", "100", "",
            "9", "2", "", "", "",
            "new", "1", "", "ALL", "GROUP1", "10.1.1.0/33", "10.1.1.0/24", "Policy: NOPE", "$NOPE", "3", "", "",
            "", "", "", "showchanges", "quit", "maybe", "Y",
        ])
        try Golden.check("bad-answers", result.output)
        #expect(result.status == 0)
    }

    /// VERIFY prints what `openssl ciphers -v` prints, line for line.
    @Test func verifyMatchesOpenSSL() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "sslconfig verify HIGH:!aNULL")
        #expect(result.status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "ciphers", "-v", "HIGH:!aNULL"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let expected = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(result.output.trimmingCharacters(in: .newlines) == expected.trimmingCharacters(in: .newlines))
    }

    @Test func ctrlCDropsOnlyTheCurrentCommand() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig edit InboundMail limits 500 60",
            "listenerconfig", "edit", "InboundMail", "limits", "700", "^C",
            "showchanges", "clear", "", "quit",
        ])
        #expect(result.output.contains("-- Changes not recorded."))
        #expect(result.output.contains("Listener InboundMail > Max Concurrency: 1000 -> 500"))
        #expect(!result.output.contains("700 ->"))
        #expect(result.output.contains("Changes cleared."))
    }

    @Test func exportThenImportIsTheIdentity() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        var result = try Transcript.batch(home: t.home,
            "listenerconfig edit InboundMail hostaccess new sendergroup PARTNERS 10.1.1.0/24,.partner.example "
                + "$TRUSTED --comment=\"TLS (partners)\"; "
                + "listenerconfig edit InboundMail hostaccess new policy GOLD accept --tls=required --max_rcpt=7; "
                + "listenerconfig edit InboundMail hostaccess export hat.txt; commit exported Y")
        #expect(result.status == 0, "\(result.output)")
        let exported = try t.store.load().configuration.listeners[0].hostAccess
        result = try Transcript.batch(home: t.home,
            "listenerconfig edit InboundMail hostaccess reset Y; listenerconfig edit InboundMail hostaccess import hat.txt; "
                + "commit imported Y")
        #expect(result.status == 0, "\(result.output)")
        // Reset then import gives back exactly the exported table: nothing is left to commit.
        #expect(result.output.contains("There is no data to commit."), "\(result.output)")
        #expect(try t.store.load().configuration.listeners[0].hostAccess == exported)
        #expect(try t.store.load().commit.generation == 2)
    }

    /// Rate limiting per host (§2.5 question 8) in the batch form, for the defaults and a policy.
    @Test func rateLimitsInBatch() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        var result = try Transcript.batch(home: t.home,
            "listenerconfig edit InboundMail hostaccess default --rate_lim=yes --max_rcpts_per_hour=-3")
        #expect(result.status == 1)
        #expect(result.output.contains("max_rcpts_per_hour"), "\(result.output)")
        result = try Transcript.batch(home: t.home,
            "listenerconfig edit InboundMail hostaccess default --rate_lim=yes --max_rcpts_per_hour=200; "
                + "listenerconfig edit InboundMail hostaccess new policy SLOW accept --rate_lim=yes "
                + "--max_rcpts_per_hour=5 --cust_lim=yes --lim_code=421 --lim_text=\"Too fast\"; commit limits Y")
        #expect(result.status == 0, "\(result.output)")
        let hat = try t.store.load().configuration.listeners[0].hostAccess
        #expect(hat.defaultParameters.maxRecipientsPerHour == 200)
        #expect(hat.defaultParameters.rateLimitResponse == SMTPResponse(code: 452))
        let slow = hat.policy(named: "SLOW")?.overrides
        #expect(slow?.maxRecipientsPerHour == 5)
        #expect(slow?.rateLimitResponse == SMTPResponse(code: 421, text: "Too fast"))
        result = try Transcript.batch(home: t.home,
            "listenerconfig edit InboundMail hostaccess default --rate_lim=no; commit \"no limit\" Y")
        #expect(result.status == 0, "\(result.output)")
        #expect(try t.store.load().configuration.listeners[0].hostAccess.defaultParameters.maxRecipientsPerHour == -1)
    }

    @Test func missingBatchAnswersNameTheOption() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "listenerconfig new Relay private")
        #expect(result.status == 1)
        #expect(result.output.contains("listenerconfig: missing --relay."), "\(result.output)")
    }
}
