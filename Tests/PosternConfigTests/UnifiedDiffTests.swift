import Foundation
import Testing
@testable import PosternConfig

@Suite struct UnifiedDiffTests {
    static func diffU(_ a: String, _ b: String) throws -> String {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("udiff-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try a.write(to: dir.appendingPathComponent("a"), atomically: true, encoding: .utf8)
        try b.write(to: dir.appendingPathComponent("b"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", "--label", "old", "--label", "new", dir.appendingPathComponent("a").path,
                             dir.appendingPathComponent("b").path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return out.trimmingCharacters(in: .newlines)
    }

    @Test(arguments: [
        ("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n", "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\nL\nm\n"),
        ("one\ntwo\nthree\n", "zero\none\ntwo\nthree\n"),
        ("x\ny\nz\n", "x\nz\n"),
        ("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n", "1\n2\nX\n4\n5\n6\n7\n8\n9\n10\nY\n12\n13\n14\n15\n16\n"),
    ])
    func matchesDiffU(old: String, new: String) throws {
        let ours = UnifiedDiff.render(old: old, new: new, oldName: "old", newName: "new")
        let theirs = try Self.diffU(old, new)
        #expect(ours == theirs, "\n\(ours)\n----\n\(theirs)")
    }

    @Test func identicalTextsGiveNothing() {
        #expect(UnifiedDiff.render(old: "a\nb\n", new: "a\nb\n", oldName: "x", newName: "y") == "")
    }
}
