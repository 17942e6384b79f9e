import Foundation
import Testing
@testable import PosternSpool

@Suite struct SpoolTests {
    static func directory() throws -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("postern-spool-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func store(_ spool: Spool, _ id: Int, _ text: String, envelope: String = "{}") throws -> Spool.Entry {
        try Array(text.utf8).withUnsafeBytes { try spool.store(id: id, envelope: Data(envelope.utf8), prefix: Data(), body: $0) }
    }

    static func segments(_ spool: Spool) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: spool.segmentsDirectory.path)) ?? []).sorted()
    }

    @Test func storeThenReadBack() throws {
        let spool = Spool(directory: try Self.directory())
        try spool.open()
        let body = Array("Subject: x\r\n\r\nhello\r\n".utf8)
        let entry = try body.withUnsafeBytes {
            try spool.store(id: 7, envelope: Data("{\"mid\":7}".utf8), prefix: Data("Received: x\r\n".utf8), body: $0)
        }
        #expect(entry.id == 7)
        let (envelope, message) = try spool.read(entry)
        #expect(String(decoding: envelope, as: UTF8.self) == "{\"mid\":7}")
        #expect(String(decoding: message, as: UTF8.self) == "Received: x\r\nSubject: x\r\n\r\nhello\r\n")
        #expect(spool.entries() == [entry])
        #expect(spool.entry(7) == entry)
        try spool.finish(7)
        #expect(spool.entries().isEmpty)
        #expect(spool.entry(7) == nil)
        spool.stop()
        // The tombstone is on disk: a restart does not bring the message back.
        let again = Spool(directory: spool.directory)
        #expect(try again.open().messages == 0)
        again.stop()
    }

    @Test func anotherProcessReadsTheQueueWithoutOwningIt() throws {
        let owner = Spool(directory: try Self.directory())
        try owner.open()
        _ = try Self.store(owner, 1, "one")
        _ = try Self.store(owner, 2, "two")
        try owner.finish(1)
        _ = try Self.store(owner, 3, "three")  // its commit also carries the tombstone of 1
        let reader = Spool(directory: owner.directory)
        #expect(reader.entries().map(\.id) == [2, 3])
        let entry = try #require(reader.entries().first)
        #expect(String(decoding: try reader.read(entry).message, as: UTF8.self) == "two")
        #expect(throws: SpoolError.self) { try reader.finish(2) }
        owner.stop()
    }

    @Test func restartDropsATornTailAndKeepsEveryAcknowledgedMessage() throws {
        let dir = try Self.directory()
        let spool = Spool(directory: dir)
        try spool.open()
        _ = try Self.store(spool, 1, "first")
        _ = try Self.store(spool, 2, "second")
        spool.stop()
        let segment = spool.segmentsDirectory.appendingPathComponent(try #require(Self.segments(spool).last))
        let whole = try Data(contentsOf: segment)
        // A crash in the middle of a third record: its header and half its payload.
        let torn = Spool.record(kind: .message, mid: 3, envelopeLength: 3) {
            $0 += Array("{}\n".utf8) + [UInt8](repeating: 0x41, count: 100)
        }
        let handle = try FileHandle(forWritingTo: segment)
        handle.seekToEndOfFile()
        handle.write(Data(torn.prefix(60)))
        try handle.close()

        let restarted = Spool(directory: dir)
        let report = try restarted.open()
        #expect(report.messages == 2)
        #expect(report.discarded == 60)
        #expect(try Data(contentsOf: segment) == whole)  // cut back to the last whole record
        #expect(restarted.entries().map(\.id) == [1, 2])
        _ = try Self.store(restarted, 4, "fourth")
        #expect(String(decoding: try restarted.read(#require(restarted.entry(4))).message, as: UTF8.self) == "fourth")
        restarted.stop()
    }

    @Test func segmentsGoOnceEveryMessageInThemAndBeforeThemIsDone() throws {
        let spool = Spool(directory: try Self.directory(), segmentLimit: 1)  // one commit per segment
        try spool.open()
        let first = try Self.store(spool, 1, "a")
        let second = try Self.store(spool, 2, "b")
        let third = try Self.store(spool, 3, "c")
        #expect(Set([first, second, third].map(\.location.segment)).count == 3)
        try spool.finish(2)
        // Message 1 is still live in the oldest segment: nothing can go yet.
        #expect(Self.segments(spool).contains("\(second.location.segment).seg"))
        try spool.finish(1)
        // Either this thread deletes them or the writer thread does, as it rotates after the
        // tombstone's commit (then a moment later): wait up to 5 s for them to go.
        let dead = ["\(first.location.segment).seg", "\(second.location.segment).seg"]
        for _ in 0..<100 where Self.segments(spool).contains(where: dead.contains) { usleep(50_000) }
        #expect(!Self.segments(spool).contains(dead[0]))
        #expect(!Self.segments(spool).contains(dead[1]))
        #expect(Self.segments(spool).contains("\(third.location.segment).seg"))
        spool.stop()
        let restarted = Spool(directory: spool.directory)
        #expect(try restarted.open().messages == 1)
        #expect(restarted.entries().map(\.id) == [3])
        restarted.stop()
    }

    @Test func concurrentWritersAllLand() async throws {
        let spool = Spool(directory: try Self.directory())
        try spool.open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 1...64 {
                group.addTask {
                    _ = try [UInt8](repeating: UInt8(id), count: 4096).withUnsafeBytes {
                        try spool.store(id: id, envelope: Data("{}".utf8), prefix: Data(), body: $0)
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(spool.entries().map(\.id) == Array(1...64))
        for entry in spool.entries() {
            #expect(try spool.read(entry).message == Data(repeating: UInt8(entry.id), count: 4096))
        }
        spool.stop()
        #expect(Spool(directory: spool.directory).entries().map(\.id) == Array(1...64))
    }

    @Test func crcMatchesTheStandardCheckValue() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
    }
}
