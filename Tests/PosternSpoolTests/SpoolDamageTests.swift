import Foundation
import Testing
@testable import PosternSpool

/// Headers that damage (or an attacker with the disk) can write: recovery never traps, and
/// never keeps the damaged record. (What it does with the bytes after the damage is the
/// scanner's policy, tested in SpoolTests.) Regression tests for what Fuzz/SpoolScanner found.
@Suite struct SpoolDamageTests {
    /// A segment holding a damaged record (made by `damage`), then a whole one for MID 2.
    func recover(_ damage: (inout [UInt8]) -> Void) throws -> (messages: Int, ids: [Int]) {
        let dir = try SpoolTests.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let envelope = Array("{}\n".utf8)
        var damaged = Spool.record(kind: .message, mid: 1, envelopeLength: envelope.count) {
            $0 += envelope + Array("first".utf8)
        }
        damage(&damaged)
        let whole = Spool.record(kind: .message, mid: 2, envelopeLength: envelope.count) { $0 += envelope + Array("second".utf8) }
        let segments = dir.appendingPathComponent("segments")
        try FileManager.default.createDirectory(at: segments, withIntermediateDirectories: true)
        try Data(damaged + whole).write(to: segments.appendingPathComponent("1.seg"))
        let spool = Spool(directory: dir)
        let report = try spool.open()
        defer { spool.stop() }
        for entry in spool.entries() { _ = try spool.read(entry) }
        return (report.messages, spool.entries().map(\.id))
    }

    func store(_ value: UInt64, at offset: Int, width: Int, in record: inout [UInt8]) {
        for i in 0..<width { record[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    @Test(arguments: [UInt64.max, UInt64(Int.max), UInt64(1) << 40])
    func aMessageLengthPastTheFileOrPastIntIsDamage(length: UInt64) throws {
        let result = try recover { store(length, at: 20, width: 8, in: &$0) }
        #expect(!result.ids.contains(1) && result.messages == result.ids.count)
    }

    /// Without an envelope, the record's length is the message length alone: the check for a
    /// torn tail summed it with the offset and trapped (found by the fuzz smoke in CI).
    @Test(arguments: [UInt64.max, UInt64.max - 31])
    func aLengthNearTheTopWithoutAnEnvelopeIsDamage(length: UInt64) throws {
        let result = try recover { record in
            store(0, at: 16, width: 4, in: &record)
            store(length, at: 20, width: 8, in: &record)
        }
        #expect(!result.ids.contains(1) && result.messages == result.ids.count)
    }

    /// A segment the engine cannot read (written by root, say, for an engine run by another
    /// account) used to count as empty, and was deleted with the mail in it. Now the spool
    /// does not open, names it, and leaves every segment as it was. (A directory in its place
    /// stands in for a file this root-run suite could always read.)
    @Test func anUnreadableSegmentStopsRecoveryAndIsKept() throws {
        let dir = try SpoolTests.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let segments = dir.appendingPathComponent("segments")
        try FileManager.default.createDirectory(at: segments.appendingPathComponent("1.seg"),
                                                withIntermediateDirectories: true)
        let envelope = Array("{}\n".utf8)
        let whole = Spool.record(kind: .message, mid: 2, envelopeLength: envelope.count) { $0 += envelope + Array("m".utf8) }
        try Data(whole).write(to: segments.appendingPathComponent("2.seg"))
        let spool = Spool(directory: dir)
        #expect {
            try spool.open()
        } throws: { error in
            "\(error)".contains("1.seg: Is a directory") && "\(error)".contains("nothing was changed")
        }
        #expect(FileManager.default.fileExists(atPath: segments.appendingPathComponent("1.seg").path))
        #expect(try Data(contentsOf: segments.appendingPathComponent("2.seg")) == Data(whole))
    }

    /// In a home shared by a group (set-group-ID directories), the queue and segments
    /// directories the engine creates keep the bit, even when the queue directory itself is
    /// missing, so segments written by any account stay the group's.
    @Test func createdDirectoriesKeepTheSetGroupIDBitOfTheHome() throws {
        let home = try SpoolTests.directory()
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(chmod(home.path, 0o2770) == 0)
        let queue = home.appendingPathComponent("queue")
        let spool = Spool(directory: queue)
        try spool.open()
        spool.stop()
        for directory in [queue, queue.appendingPathComponent("segments")] {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o2770, "\(directory.lastPathComponent)")
        }
    }

    /// With one segment unreadable, recovery repairs nothing else either (a torn tail in
    /// another stays), so that "nothing was changed" holds.
    @Test func anUnreadableSegmentStopsRepairsOfTheOthersToo() throws {
        let dir = try SpoolTests.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let segments = dir.appendingPathComponent("segments")
        try FileManager.default.createDirectory(at: segments.appendingPathComponent("2.seg"),
                                                withIntermediateDirectories: true)
        let envelope = Array("{}\n".utf8)
        let torn = Spool.record(kind: .message, mid: 1, envelopeLength: envelope.count) { $0 += envelope + Array("m".utf8) }
            + Array("PSEG1".utf8)
        try Data(torn).write(to: segments.appendingPathComponent("1.seg"))
        #expect(throws: SpoolError.self) { try Spool(directory: dir).open() }
        #expect(try Data(contentsOf: segments.appendingPathComponent("1.seg")) == Data(torn))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("quarantine").path))
    }

    /// A segments directory that cannot be listed is not an empty queue.
    @Test func aSegmentsDirectoryThatCannotBeListedStopsRecovery() throws {
        let dir = try SpoolTests.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not a directory".utf8).write(to: dir.appendingPathComponent("segments"))
        #expect {
            try Spool(directory: dir).open()
        } throws: { error in
            "\(error)".contains("the directory cannot be listed: Not a directory")
        }
    }

    @Test func aMIDPastIntIsDamage() throws {
        let result = try recover { store(UInt64.max, at: 8, width: 8, in: &$0) }
        #expect(!result.ids.contains(1) && result.messages == result.ids.count)
    }

    /// A message record without even the envelope's newline: reading it used to trap.
    @Test func aMessageWithoutAnEnvelopeIsDamage() throws {
        let result = try recover { record in
            record = Spool.record(kind: .message, mid: 1, envelopeLength: 0) { $0 += Array("no envelope".utf8) }
        }
        #expect(!result.ids.contains(1) && result.messages == result.ids.count)
    }
}
