import Dispatch
import Foundation
import PosternTestSupport
import Testing
@testable import PosternSpool

/// The spool under a failing disk: every step of a group commit failed with every errno an
/// operator's bad day brings, and a power loss that keeps only what was synced.
@Suite struct SpoolFaultTests {
    static let errnos: [(String, Int32)] = [
        ("ENOSPC", ENOSPC), ("EIO", EIO), ("EROFS", EROFS), ("EMFILE", EMFILE), ("EACCES", EACCES), ("EDQUOT", EDQUOT),
    ]
    static let steps: [FileStep] = [.open, .directorySync, .write, .sync]

    /// Stores without blocking forever: a completion that never comes is a failed test, not a hung one.
    static func store(_ spool: Spool, _ id: Int, _ text: String) -> Result<Spool.Entry, DurableFile.Failure>? {
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        Array(text.utf8).withUnsafeBytes {
            spool.store(id: id, envelope: Data("{}".utf8), prefix: Data(), body: $0) { result in
                box.result = result
                done.signal()
            }
        }
        guard done.wait(timeout: .now() + 10) == .success else { return nil }
        return box.result
    }

    final class Box: @unchecked Sendable {
        // @unchecked: written by the writer thread before the semaphore is signalled, read after.
        var result: Result<Spool.Entry, DurableFile.Failure>?
    }

    @Test(arguments: steps, errnos.map(\.1))
    func everyFailedStepAnswersTheWaiterAndTheSpoolRecovers(step: FileStep, error: Int32) throws {
        let files = FaultyFiles()
        let spool = Spool(directory: try SpoolTests.directory(), files: files)
        try spool.open()
        files.fail(step, errno: error)
        let failed = try #require(Self.store(spool, 1, "lost"), "the waiter was never answered")
        guard case .failure(let failure) = failed else {
            Issue.record("a failed \(step) was acknowledged")
            return
        }
        #expect(failure.errno == error)
        // Nothing kept open by the failed attempt (the directory sync used to leak its segment's fd).
        #expect(files.openDescriptors == 0)
        // The disk is back: the next message is stored, in a fresh segment.
        let stored = try #require(Self.store(spool, 2, "kept"))
        let entry = try stored.get()
        #expect(spool.entries().map(\.id) == [2])
        #expect(String(decoding: try spool.read(entry).message, as: UTF8.self) == "kept")
        spool.stop()
        let restarted = Spool(directory: spool.directory)
        #expect(try restarted.open().messages == 1)
        #expect(restarted.entries().map(\.id) == [2])
        restarted.stop()
    }

    @Test func aBatchWhoseSegmentCannotBeOpenedAnswersEveryMessageInIt() throws {
        let files = FaultyFiles()
        let spool = Spool(directory: try SpoolTests.directory(), files: files)
        try spool.open()
        files.fail(.open, errno: EMFILE, times: 1_000)
        let answered = DispatchGroup()
        let failures = Counter()
        for id in 1...20 {
            answered.enter()
            Array("m\(id)".utf8).withUnsafeBytes {
                spool.store(id: id, envelope: Data("{}".utf8), prefix: Data(), body: $0) { result in
                    if case .failure = result { failures.add() }
                    answered.leave()
                }
            }
        }
        #expect(answered.wait(timeout: .now() + 10) == .success, "some sessions were never answered")
        #expect(failures.value == 20)
        spool.stop()
    }

    final class Counter: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var count = 0
        func add() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    /// Fails if the sync before the acknowledgement (the segment's fdatasync, or the directory
    /// sync that makes a new segment's name durable) is removed: the power-loss model keeps
    /// only synced bytes and synced names, unlike a SIGKILL, which keeps the page cache.
    @Test func anAcknowledgedMessageSurvivesAPowerLoss() throws {
        let files = FaultyFiles()
        let dir = try SpoolTests.directory()
        let spool = Spool(directory: dir, files: files)
        try spool.open()
        let acknowledged = try #require(Self.store(spool, 1, "acknowledged"))
        _ = try acknowledged.get()
        // The model does lose what was not synced: a record whose sync failed is gone after the cut.
        files.fail(.sync, errno: EIO)
        let unsynced = try #require(Self.store(spool, 2, "never acknowledged"))
        #expect(throws: DurableFile.Failure.self) { try unsynced.get() }
        files.crash()
        spool.stop()

        let restarted = Spool(directory: dir)
        #expect(try restarted.open().messages == 1)
        let entry = try #require(restarted.entry(1))
        #expect(String(decoding: try restarted.read(entry).message, as: UTF8.self) == "acknowledged")
        restarted.stop()
    }

    @Test(arguments: [FileStep.open, .write, .sync, .rename, .directorySync])
    func aDeliveryStateThatCannotBeSavedLeavesTheOldOne(step: FileStep) throws {
        let files = FaultyFiles()
        let spool = Spool(directory: try SpoolTests.directory(), files: files)
        try spool.open()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        var state = DeliveryState(recipients: ["a@example.com"], now: now)
        try spool.save(state, of: 5)
        state.attempts = 3
        files.fail(step, errno: ENOSPC)
        #expect(throws: DurableFile.Failure.self) { try spool.save(state, of: 5) }
        if step != .directorySync { #expect(spool.state(of: 5)?.attempts == 0) }
        #expect(files.openDescriptors == 0)
        // No temp file is left behind.
        let names = try FileManager.default.contentsOfDirectory(atPath: spool.directory.path)
        #expect(names.filter { $0.contains(".tmp.") }.isEmpty)
        spool.stop()
    }

    @Test func storingAfterStopIsAnsweredAtOnce() throws {
        let spool = Spool(directory: try SpoolTests.directory())
        try spool.open()
        spool.stop()
        let result = try #require(Self.store(spool, 1, "late"))
        #expect(throws: DurableFile.Failure.self) { try result.get() }
    }
}
