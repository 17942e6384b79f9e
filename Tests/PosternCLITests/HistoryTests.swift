import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

@Suite struct HistoryTests {
    /// A typical TLS change, as showchanges prints it (tree and unified).
    @Test func showchangesForATypicalTLSChange() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit { $0.listeners[0].hostAccess.defaultParameters.tls = .preferred }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig edit InboundMail hostaccess new sendergroup PARTNERS 10.1.1.0/24,.partner.example $TRUSTED "
                + "--comment=\"TLS partner\"",
            "listenerconfig edit InboundMail hostaccess default --tls=required --demo=yes",
            "sslconfig inbound tlsv1.2/tlsv1.3 HIGH:!aNULL", "", "", "",
            "showchanges", "showchanges --unified", "clear", "Y", "quit",
        ])
        try Golden.check("showchanges-tls", result.output)
    }

    @Test func rollbackReproducesAGenerationExactly() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit("two") { $0.listeners[0].hostAccess.defaultParameters.tls = .preferred }
        try t.commit("three") { $0.ssl.inbound.ciphers = "HIGH:!aNULL" }
        try t.commit("four") { $0.listeners[0].maxConcurrency = 77 }
        let result = try Transcript.run(home: t.home, ["rollbackconfig", "rollback", "9", "2", "Y", "", "showchanges",
                                                       "commit", "back to two", "", "quit"])
        try Golden.check("rollback", result.output)
        let restored = try t.store.load()
        #expect(restored.commit.generation == 5)
        #expect(try CanonicalJSON.encode(restored.configuration)
            == (try CanonicalJSON.encode(t.store.load(generation: 2).configuration)))
        let detail = try Transcript.batch(home: t.home, "commitdetail 5")
        #expect(detail.output.contains("Comment: back to two"))
        #expect(detail.output.contains("Listener InboundMail > Max Concurrency: 77 -> 1000"))
    }

    @Test func commitcheckFindsWhatTheEngineWouldRejectAndCommitRefusesIt() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        var result = try Transcript.batch(home: t.home, "commitcheck")
        #expect(result.output == "The configuration is valid.\n")
        // A certificate staged, chosen, then its file lost before the commit.
        result = try Transcript.run(home: t.home, [
            "certconfig certificate new Lab --cn=mx.lab.example --days=30",
            "listenerconfig edit InboundMail certificate Lab",
            "commitcheck",
        ].map { $0 } + ["quit", "Y"])
        #expect(result.output.contains("The configuration is valid."))
        let profile = try #require(try t.store.load().configuration.certificates.first)
        _ = profile
        result = try Transcript.run(home: t.home, ["certconfig certificate new Lab2 --cn=mx.lab.example --days=30",
                                                   "listenerconfig edit InboundMail certificate Lab2",
                                                   "!remove-lab2", "commitcheck", "commit", "lost file", "", "", "quit", "Y"],
                                    hook: { line in
                                        guard line == "!remove-lab2" else { return false }
                                        let names = try FileManager.default.contentsOfDirectory(atPath: t.home.certsDirectory.path)
                                        for name in names where name.hasPrefix("Lab2-") && name.hasSuffix(".crt") {
                                            try FileManager.default.removeItem(at: t.home.certificateFile(name))
                                        }
                                        return true
                                    })
        let problem = "certificates[Lab2]: The file certs/"
        #expect(result.output.components(separatedBy: problem).count == 3, "\(result.output)")  // check, then commit
        #expect(result.output.contains("Are you ready to discard all of your changes? [N]>"))
        #expect(try t.store.load().commit.generation == 1)
    }

    @Test func historyRetentionPrunesOldGenerations() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit { $0.historyRetention = 3 }
        for i in 0..<4 { try t.commit { $0.listeners[0].maxConcurrency = 100 + i } }
        #expect(t.store.generations() == [4, 5, 6])
        let result = try Transcript.batch(home: t.home, "rollbackconfig setup 1")
        #expect(result.status == 1)
    }
}
