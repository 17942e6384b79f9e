import Foundation
import PosternTestSupport
import Testing
@testable import PosternSpool

@Suite struct IDAllocatorTests {
    static func file() throws -> URL {
        try SpoolTests.directory().appendingPathComponent("ids.json")
    }

    static func take(_ ids: IDAllocator, _ kind: IDAllocator.Kind, _ n: Int) -> [Int?] {
        (0..<n).map { _ in
            ids.waitForReservations()
            return ids.allocate(kind)
        }
    }

    @Test func idsNeverRepeatAcrossRestarts() throws {
        let file = try Self.file()
        let first = IDAllocator(file: file, block: 10)
        #expect(Self.take(first, .mid, 25) == Array(1...25))
        // A crash now: the next process starts above every reserved id.
        let second = IDAllocator(file: file, block: 10)
        #expect(try #require(second.allocate(.mid)) > 25)
        #expect(second.allocate(.icid) == 11)  // its block was reserved with the MIDs' and is skipped too
    }

    /// The reproduction of issue 13 §3: without ids.json (deleted, or never written because
    /// the disk was full) MIDs used to restart at 1 and collide with queued messages.
    @Test(arguments: ["missing", "unreadable"])
    func midsStartAboveTheHighestQueuedOne(damage: String) throws {
        let file = try Self.file()
        if damage == "unreadable" { try Data("{\"mid\": 12".utf8).write(to: file) }
        let ids = IDAllocator(file: file, block: 10, floors: [.mid: 1028])
        #expect(ids.allocate(.mid) == 1028)
        #expect(ids.startNote != nil)
    }

    @Test func aSavedCeilingAboveTheQueueWins() throws {
        let file = try Self.file()
        let first = IDAllocator(file: file, block: 100)
        _ = Self.take(first, .mid, 3)
        let second = IDAllocator(file: file, block: 100, floors: [.mid: 4])
        #expect(try #require(second.allocate(.mid)) > 100)
    }

    /// A reservation that cannot be made durable never hands out an id past the durable
    /// ceiling: the caller gets nil (and refuses the mail with 451) until the disk is back.
    @Test func aFailedReservationRefusesInsteadOfReusing() throws {
        let file = try Self.file()
        let files = FaultyFiles()
        let ids = IDAllocator(file: file, block: 10, files: files)
        files.fail(.sync, errno: ENOSPC, times: 1_000)
        var issued: [Int] = []
        var refused = 0
        for _ in 0..<30 {
            ids.waitForReservations()
            if let id = ids.allocate(.mid) { issued.append(id) } else { refused += 1 }
        }
        #expect(issued == Array(1...10))
        #expect(refused == 20)
        #expect(ids.reservationProblem?.contains("No space left") == true)
        // A restart after this never reissues 1...10.
        let restarted = IDAllocator(file: file, block: 10)
        #expect(try #require(restarted.allocate(.mid)) > 10)
    }

    @Test func theDiskComingBackLetsTheSameAllocatorContinue() throws {
        let files = FaultyFiles()
        let ids = IDAllocator(file: try Self.file(), block: 4, files: files)
        files.fail(.rename, errno: EROFS, times: 2)
        let taken = (0..<12).map { _ -> Int? in
            ids.waitForReservations()
            return ids.allocate(.mid)
        }
        let issued = taken.compactMap { $0 }
        #expect(taken.contains(nil))
        #expect(issued == Array(1...issued.count))  // no gap reused, none repeated
        #expect(issued.count > 4)  // reservations resumed once the faults were spent
        #expect(ids.reservationProblem == nil)
    }

    /// allocate() itself never writes: the reservation runs on its own queue, ahead of need.
    @Test func allocationDoesNoIOWhileABlockLasts() throws {
        let files = FaultyFiles()
        let ids = IDAllocator(file: try Self.file(), block: 100, files: files)
        let writesAtStart = files.count(.sync)
        for _ in 0..<40 { _ = ids.allocate(.icid) }
        #expect(files.count(.sync) == writesAtStart)
    }
}
