import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

@Suite struct CommitTranscriptTests {
    @Test func nothingToCommitOnAFreshHome() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "commit \"nothing\" Y")
        #expect(result.output == "There is no data to commit.\n")
        #expect(result.status == 0)
    }

    @Test func unknownCommandsAndPrefixes() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        // `cl` would be clear or clusterconfig; `clea` begins clear and clearchanges, and clear begins both.
        let result = try Transcript.run(home: t.home, ["frob", "clea", "quit"])
        #expect(result.output == """
            postern.example.com> frob
            Unknown command: frob. Type 'help' for a list of commands.
            postern.example.com> clea
            No changes have been made since the last commit.
            postern.example.com> quit

            """)
        #expect(result.status == 1)
    }

    @Test func batchStopsAtTheFirstFailureAndSaysWhichArgument() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "help frobnicate; status")
        #expect(result.status == 1)
        #expect(result.output.contains("Unknown command: frobnicate."))
        #expect(!result.output.contains("Committed configuration"))
    }

    @Test func unusedArgumentsAreAnError() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "status extra --bogus=1")
        #expect(result.status == 1)
        #expect(result.output.contains("Invalid arguments when processing: extra --bogus"))
    }

    @Test func quoting() throws {
        #expect(try CommandLineSyntax.words(#"commit "rotate ciphers" Y"#).get() == ["commit", "rotate ciphers", "Y"])
        #expect(try CommandLineSyntax.words(#"a 'b c' d\ e "f\"g""#).get() == ["a", "b c", "d e", "f\"g"])
        #expect(CommandLineSyntax.splitCommands(#"commit "a; b" Y; status"#) == [#"commit "a; b" Y"#, "status"])
        #expect(CommandLineSyntax.words("\"open").isFailure)
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
