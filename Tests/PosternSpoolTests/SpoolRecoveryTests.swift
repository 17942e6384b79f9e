import Foundation
import Testing
@testable import PosternSpool

/// Recovery never takes message bytes for a record (issue 13 §2, style.md §17).
@Suite struct SpoolRecoveryTests {
    /// A message body that embeds two well-formed records with valid CRC-32s: a message
    /// (MID 999, an envelope of the sender's choosing) and a tombstone for MID 1.
    static let craftedBody: [UInt8] = {
        let envelope = Array(#"{"mid":999,"sender":"attacker@example.net","recipients":["victim@example.com"]}"#.utf8)
        let forged = Spool.record(kind: .message, mid: 999, envelopeLength: envelope.count + 1) {
            $0 += envelope + [0x0a] + Array("Subject: forged\r\n\r\nforged\r\n".utf8)
        }
        let tombstone = Spool.record(kind: .tombstone, mid: 1, envelopeLength: 0)
        return Array("Subject: innocent\r\n\r\n".utf8) + forged + tombstone + Array("\r\nthe end\r\n".utf8)
    }()

    /// Message 1, then message 2 carrying the crafted body; returns the segment and message 2's entry.
    static func spoolWithCraftedMessage() throws -> (dir: URL, segment: URL, second: Spool.Entry) {
        let dir = try SpoolTests.directory()
        let spool = Spool(directory: dir)
        try spool.open()
        _ = try SpoolTests.store(spool, 1, "first")
        let second = try craftedBody.withUnsafeBytes {
            try spool.store(id: 2, envelope: Data("{}".utf8), prefix: Data(), body: $0)
        }
        spool.stop()
        let segment = spool.segmentsDirectory.appendingPathComponent("\(second.location.segment).seg")
        return (dir, segment, second)
    }

    @Test func aTornWriteOfACraftedBodyNeverYieldsTheRecordsItEmbeds() throws {
        let (dir, segment, second) = try Self.spoolWithCraftedMessage()
        // The write of message 2 torn by a crash after the embedded records reached the disk.
        let whole = try Data(contentsOf: segment)
        try whole.prefix(whole.count - 4).write(to: segment)

        let restarted = Spool(directory: dir)
        let report = try restarted.open()
        #expect(restarted.entries().map(\.id) == [1])  // not 999, and 1 not buried by the forged tombstone
        #expect(report.messages == 1)
        #expect(report.discarded == whole.count - 4 - Int(second.location.offset))
        #expect(report.quarantined == 0)
        #expect(report.highestMID == 1)
        #expect(try Data(contentsOf: segment).count == Int(second.location.offset))
        restarted.stop()
    }

    @Test func damageBeforeACraftedBodyQuarantinesTheRestOfTheSegment() throws {
        let (dir, segment, second) = try Self.spoolWithCraftedMessage()
        var bytes = try Data(contentsOf: segment)
        let start = Int(second.location.offset)
        bytes[start + Spool.headerSize + 1] ^= 0xFF  // bit rot in message 2's envelope: its CRC fails
        try bytes.write(to: segment)

        let restarted = Spool(directory: dir)
        let report = try restarted.open()
        #expect(restarted.entries().map(\.id) == [1])
        #expect(report.discarded == 0)
        #expect(report.quarantined == bytes.count - start)
        // The rest of the segment is kept for the administrator, byte for byte, and cut off the segment.
        let name = try #require(report.quarantineFiles.first)
        let kept = dir.appendingPathComponent("quarantine").appendingPathComponent(name)
        #expect(try Data(contentsOf: kept) == bytes.suffix(from: start))
        #expect(try Data(contentsOf: segment).count == start)
        restarted.stop()
        // A second start finds nothing more to do.
        let again = Spool(directory: dir)
        let quiet = try again.open()
        #expect(quiet.quarantined == 0 && quiet.discarded == 0 && quiet.messages == 1)
        again.stop()
    }

    /// Damage in the first record of a segment costs that segment's rest; other segments are untouched.
    @Test func damageStaysInItsSegment() throws {
        let dir = try SpoolTests.directory()
        let spool = Spool(directory: dir, segmentLimit: 1)  // one commit per segment
        try spool.open()
        let first = try SpoolTests.store(spool, 1, "first message")
        _ = try SpoolTests.store(spool, 2, "second message")
        spool.stop()
        let segment = spool.segmentsDirectory.appendingPathComponent("\(first.location.segment).seg")
        var bytes = try Data(contentsOf: segment)
        bytes[Int(first.location.offset) + Spool.headerSize + 5] ^= 0xFF
        try bytes.write(to: segment)

        let restarted = Spool(directory: dir)
        let report = try restarted.open()
        #expect(restarted.entries().map(\.id) == [2])
        #expect(report.quarantined == Spool.headerSize + first.location.envelopeLength + first.location.messageLength)
        restarted.stop()
    }

    /// Another process (the CLI's showqueue) stops at damage too, and changes nothing.
    @Test func aReaderStopsAtDamageWithoutRepairing() throws {
        let (dir, segment, _) = try Self.spoolWithCraftedMessage()
        let whole = try Data(contentsOf: segment)
        try whole.prefix(whole.count - 4).write(to: segment)
        #expect(Spool(directory: dir).entries().map(\.id) == [1])
        #expect(try Data(contentsOf: segment).count == whole.count - 4)
    }
}
