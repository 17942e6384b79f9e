import Foundation
import PosternTestSupport
import Testing
@testable import PosternStore

/// IMPORT and EXPORT names stay in HOME/configuration (issue 14, section 1).
@Suite struct ConfigurationFilesTests {
    static let refused: [(label: String, name: String)] = [
        ("empty", ""),
        ("absolute", "/etc/passwd"),
        ("parent", "../config/current.json"),
        ("parent inside", "sub/../../config/current.json"),
        ("parent alone", ".."),
        ("link out", "leak.txt"),
        ("link to a folder out", "outside/current.json"),
        ("dangling link", "dangling.txt"),
        ("folder missing", "nowhere/x.txt"),
    ]

    static func home() throws -> TemporaryHome {
        let t = try TemporaryHome()
        try ConfigurationFiles.prepare(t.home)
        let directory = ConfigurationFiles.directory(t.home).path
        try FileManager.default.createSymbolicLink(atPath: directory + "/leak.txt", withDestinationPath: t.home.currentFile.path)
        try FileManager.default.createSymbolicLink(atPath: directory + "/outside", withDestinationPath: t.home.configDirectory.path)
        try FileManager.default.createSymbolicLink(atPath: directory + "/dangling.txt", withDestinationPath: t.home.root.path + "/new")
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: false)
        try "x".write(toFile: directory + "/inside.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/alias.txt", withDestinationPath: "inside.txt")
        return t
    }

    @Test(arguments: refused) func refuses(_ label: String, _ name: String) throws {
        let t = try Self.home()
        defer { t.remove() }
        guard case .failure(let error) = ConfigurationFiles.resolve(name, home: t.home) else {
            Issue.record("\(label): \"\(name)\" was allowed")
            return
        }
        #expect(!error.description.isEmpty)
    }

    @Test func allowsNamesInside() throws {
        let t = try Self.home()
        defer { t.remove() }
        let directory = try #require(realpath(ConfigurationFiles.directory(t.home).path, nil)).withString()
        for (name, expected) in [("hat.txt", "hat.txt"), ("sub/rat.txt", "sub/rat.txt"), ("./inside.txt", "inside.txt"),
                                 ("alias.txt", "inside.txt")] {
            let url = try ConfigurationFiles.resolve(name, home: t.home).get()
            #expect(url.path == directory + "/" + expected, "\(name)")
        }
    }

    @Test func theMessagesSayWhy() throws {
        let t = try Self.home()
        defer { t.remove() }
        #expect(ConfigurationFiles.resolve("/etc/passwd", home: t.home).failureText?.contains("absolute path") == true)
        #expect(ConfigurationFiles.resolve("../x", home: t.home).failureText?.contains("\"..\"") == true)
        #expect(ConfigurationFiles.resolve("leak.txt", home: t.home).failureText?.contains("leads outside") == true)
    }
}

extension UnsafeMutablePointer<CChar> {
    fileprivate func withString() -> String {
        defer { free(self) }
        return String(cString: self)
    }
}

extension Result where Failure == ConfigurationFileError {
    fileprivate var failureText: String? {
        if case .failure(let error) = self { return error.description }
        return nil
    }
}
