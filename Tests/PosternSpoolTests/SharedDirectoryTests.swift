import Foundation
import Testing
@testable import PosternSpool

/// Directories of a shared home keep its set-group-ID bit, and a failure reads as a sentence.
@Suite struct SharedDirectoryTests {
    func temporary() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("postern-shared-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func mode(_ url: URL) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as! Int
    }

    @Test func missingParentsAreMadeWithTheBit() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(chmod(home.path, 0o2770) == 0)
        let deep = home.appendingPathComponent("queue/requests")
        try SharedDirectory.create(deep)
        #expect(try mode(home.appendingPathComponent("queue")) == 0o2770)
        #expect(try mode(deep) == 0o2770)
    }

    @Test func withoutTheBitThereIsNone() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(chmod(home.path, 0o770) == 0)
        try SharedDirectory.create(home.appendingPathComponent("reports"))
        #expect(try mode(home.appendingPathComponent("reports")) == 0o770)
    }

    /// A file where a directory should be is not "cannot create" of a directory that exists,
    /// and never an NSError dump.
    @Test func aFailureSaysWhatAndWhere() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("queue")
        try Data("x".utf8).write(to: file)
        #expect {
            try SharedDirectory.create(file.appendingPathComponent("segments"))
        } throws: { error in
            "\(error)" == "cannot reach \(file.path)/segments: Not a directory"
        }
    }

    /// A queue whose directory this account cannot reach is not an empty queue.
    @Test func aQueueThatCannotBeReachedIsNotListedAsEmpty() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("queue")
        try Data("x".utf8).write(to: file)
        let listing = Spool(directory: file).listing()
        #expect(listing.entries.isEmpty && !listing.unreadable.isEmpty)
    }
}
