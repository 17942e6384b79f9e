import Foundation
import PosternCertificates
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// AsyncOS dialog steps that were missing (issue 14, section 6).
@Suite struct MissingStepsTests {
    @Test func questionMarkIsHelp() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let help = try Transcript.batch(home: t.home, "help")
        let mark = try Transcript.batch(home: t.home, "?")
        #expect(mark.status == 0)
        #expect(mark.output == help.output)
    }

    /// destconfig CLEAR (asyncos-cli.md l.852) removes the entries and keeps the default.
    @Test func destconfigClear() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "destconfig new example.org --tls=required; "
                                          + "destconfig new example.net; destconfig clear Y; commit cleared Y")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("2 destination entries removed."))
        #expect(try t.store.load().configuration.delivery.destinations.entries.isEmpty)
    }

    /// certconfig NEW over an existing name asks to overwrite (asyncos-cli.md l.810).
    @Test func certconfigAsksToOverwrite() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let first = try Transcript.batch(home: t.home, "certconfig certificate new Lab --cn=one.example.com; commit a Y")
        #expect(first.status == 0, "\(first.output)")
        let refused = try Transcript.batch(home: t.home, "certconfig certificate new lab --cn=two.example.com")
        #expect(refused.status == 1)
        #expect(refused.output.contains("Certificate profile \"Lab\" already exists."), "\(refused.output)")
        let result = try Transcript.run(home: t.home, [
            // Enter keeps each default, the key type (RSA) among them.
            "certconfig", "certificate", "new", "Lab", "Y", "two.example.com", "", "", "", "", "", "", "", "", "", "", "",
            "commit", "b", "", "quit",
        ])
        #expect(result.output.contains("Certificate profile \"Lab\" already exists. Do you want to overwrite with this "
            + "new one? [N]> Y"), "\(result.output)")
        let profiles = try t.store.load().configuration.certificates
        #expect(profiles.map(\.name) == ["Demo", "Lab"])
        let lab = try #require(profiles.last)
        #expect(CertificateFiles.loadCertificate(lab, home: t.home)?.commonName == "two.example.com")
    }

    /// Answering No to "save the current configuration for rollback?" has an effect:
    /// rollbackconfig does not offer that generation.
    @Test func aCommitNotSavedForRollbackIsNotOffered() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        #expect(try Transcript.batch(home: t.home, "suspenddel; commit kept Y").status == 0)
        #expect(try Transcript.batch(home: t.home, "resumedel; commit \"not kept\" N").status == 0)
        let result = try Transcript.run(home: t.home, ["rollbackconfig", "rollback", "", "", "quit"])
        #expect(result.output.contains("2. <date>  admin (local)  kept") || Transcript.normalized(result.output)
            .contains("2. <date>  admin (local)  kept"))
        #expect(!result.output.contains("not kept"), "\(result.output)")
        #expect(try Transcript.batch(home: t.home, "rollbackconfig rollback 3 Y").status == 1)
    }
}

/// One message for an empty answer where a value is mandatory (issue 14, section 6).
@Suite struct EmptyAnswerTests {
    @Test func anEmptyMandatoryAnswerSaysPleaseEnterAValue() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "rcptaccess", "new", "", "foo@example.org", "", "", "", "", "", "",
        ])
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
        let asked = try #require(lines.firstIndex { $0.hasPrefix("Full email addresses such as") })
        #expect(lines[asked + 1] == "[]> ")
        #expect(lines[asked + 2] == "Please enter a value.")
    }
}
