import Foundation
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// Every command that takes a file name reads and writes only in HOME/configuration
/// (issue 14, section 1): a login shell of `postern` must not reach other files.
@Suite struct FileConfinementTests {
    static let refusedBatches: [(label: String, commands: String)] = [
        ("HAT export over the committed configuration", "listenerconfig edit InboundMail hostaccess export ../config/current.json"),
        ("HAT export to an absolute path", "listenerconfig edit InboundMail hostaccess export /tmp/postern-hat-escape.txt"),
        ("HAT import from an absolute path", "listenerconfig edit InboundMail hostaccess import /etc/hostname"),
        ("RAT export out of the directory", "listenerconfig edit InboundMail rcptaccess export ../x"),
        ("RAT import through a link out", "listenerconfig edit InboundMail rcptaccess import leak.txt"),
        ("certificate import from absolute paths", "certconfig certificate import X /tmp/a.crt /tmp/b.key"),
        ("certificate authorities from the certs folder", "certconfig certauthority custom import ../certs/demo.crt"),
    ]

    @Test(arguments: refusedBatches) func batchRefusesAndChangesNothing(_ label: String, _ commands: String) throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try ConfigurationFiles.prepare(t.home)
        try FileManager.default.createSymbolicLink(atPath: ConfigurationFiles.directory(t.home).path + "/leak.txt",
                                                   withDestinationPath: t.home.currentFile.path)
        let before = try Data(contentsOf: t.home.currentFile)
        let result = try Transcript.batch(home: t.home, commands + "; commit escaped Y")
        #expect(result.status == 1, "\(label): \(result.output)")
        #expect(result.output.contains("is not allowed"), "\(label): \(result.output)")
        #expect(try Data(contentsOf: t.home.currentFile) == before, "\(label)")
        #expect(!FileManager.default.fileExists(atPath: t.home.root.path + "/x"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/postern-hat-escape.txt"))
        #expect(try t.store.load().commit.generation == 1)
    }

    /// At a prompt the refused name is asked again; a name inside is then taken.
    @Test func aPromptAsksAgain() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "hostaccess", "export", "../config/current.json", "/etc/x",
            "hat.txt", "", "", "", "quit",
        ])
        #expect(result.status == 0)
        try Golden.check("export-confined", result.output.replacing(t.home.root.path, with: "HOME"))
        #expect(FileManager.default.fileExists(atPath: ConfigurationFiles.directory(t.home).path + "/hat.txt"))
    }
}
