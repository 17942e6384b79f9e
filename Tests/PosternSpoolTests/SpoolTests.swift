import Foundation
import Testing
@testable import PosternSpool

@Suite struct SpoolTests {
    static func directory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("postern-spool-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func storeThenReadBack() throws {
        let spool = Spool(directory: try Self.directory())
        let body = Array("Subject: x\r\n\r\nhello\r\n".utf8)
        let entry = try body.withUnsafeBytes {
            try spool.store(id: 7, envelope: Data("{\"mid\":7}".utf8), prefix: Data("Received: x\r\n".utf8), body: $0)
        }
        #expect(entry.id == 7)
        let (envelope, message) = try spool.read(entry)
        #expect(String(decoding: envelope, as: UTF8.self) == "{\"mid\":7}")
        #expect(String(decoding: message, as: UTF8.self) == "Received: x\r\nSubject: x\r\n\r\nhello\r\n")
        #expect(spool.entries() == [entry])
        try spool.remove(entry)
        #expect(spool.entries().isEmpty)
    }

    @Test func recoveryDropsOnlyUnfinishedFiles() throws {
        let dir = try Self.directory()
        let spool = Spool(directory: dir)
        _ = try [UInt8]("m".utf8).withUnsafeBytes { try spool.store(id: 1, envelope: Data("{}".utf8), prefix: Data(), body: $0) }
        try Data("partial".utf8).write(to: dir.appendingPathComponent(".2.msg.tmp.123"))
        let report = spool.recover()
        #expect(report.messages == 1)
        #expect(report.discarded == 1)
        #expect(spool.entries().map(\.id) == [1])
    }

    @Test func concurrentWritersShareDirectorySyncsAndAllLand() async throws {
        let spool = Spool(directory: try Self.directory())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 1...64 {
                group.addTask {
                    _ = try [UInt8](repeating: 65, count: 4096).withUnsafeBytes {
                        try spool.store(id: id, envelope: Data("{}".utf8), prefix: Data(), body: $0)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(spool.entries().map(\.id) == Array(1...64))
    }

    @Test func idsNeverRepeatAcrossRestarts() throws {
        let file = try Self.directory().appendingPathComponent("ids.json")
        let first = try IDAllocator(file: file, block: 10)
        let a = (0..<25).map { _ in first.allocate(.mid) }
        #expect(a == Array(1...25))
        // A crash now: the next process starts above every reserved id.
        let second = try IDAllocator(file: file, block: 10)
        #expect(second.allocate(.mid) > 25)
        #expect(second.allocate(.icid) == 1)
    }
}
