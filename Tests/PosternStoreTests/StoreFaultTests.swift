import Foundation
import PosternConfig
import PosternRuntime
import PosternSpool
import PosternTestSupport
import Testing
@testable import PosternStore

/// The configuration store never resets itself, names what it cannot read, keeps a confirmed
/// commit's window durable first, and lets only one of two committers win (issue 13 §4).
@Suite struct StoreFaultTests {
    static func port(_ t: TemporaryHome) throws -> Int { try t.store.load().configuration.listeners[0].port }

    @Test func aLostCurrentFileInAHomeWithHistoryIsNeverReplacedByTheFactoryConfiguration() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit { $0.listeners[0].port = 2626 }
        let historyBefore = try (1...2).map { try Data(contentsOf: t.home.historyFile($0)) }
        let keyBefore = try Data(contentsOf: t.home.certificateFile("demo.key"))
        unlink(t.home.currentFile.path)

        // Either process starting now: no factory configuration, no new demo key, no history rewritten.
        #expect(try HomeBootstrap.prepare(t.home) == false)
        #expect(!FileManager.default.fileExists(atPath: t.home.currentFile.path))
        #expect(try Data(contentsOf: t.home.certificateFile("demo.key")) == keyBefore)
        #expect(try (1...2).map { try Data(contentsOf: t.home.historyFile($0)) } == historyBefore)
        // Loading says what happened and that recovery applies.
        do {
            _ = try t.store.load()
            Issue.record("a missing current.json with history loaded")
        } catch {
            #expect(t.store.isDamagedCurrent(error))
            #expect(error.description.contains("missing"))
            #expect(error.description.contains("recoverconfig"))
        }
        // recoverconfig commits the newest readable generation as a new one; history is untouched.
        let recovery = try t.store.recover(user: "admin", source: "local")
        #expect(recovery.from.generation == 2)
        #expect(recovery.record.generation == 3)
        #expect(try Self.port(t) == 2626)
        #expect(try (1...2).map { try Data(contentsOf: t.home.historyFile($0)) } == historyBefore)
    }

    @Test func aDirectoryInPlaceOfCurrentIsNamedNotCalledMissing() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        unlink(t.home.currentFile.path)
        try FileManager.default.createDirectory(at: t.home.currentFile, withIntermediateDirectories: false)
        #expect(try HomeBootstrap.prepare(t.home) == false)
        do {
            _ = try t.store.load()
            Issue.record("a directory loaded as the configuration")
        } catch {
            #expect(error.description.contains("not a regular file"))
            #expect(t.store.isDamagedCurrent(error))
        }
        // Recovery cannot replace a directory; it says why, and the history is untouched.
        #expect(throws: StoreError.self) { try t.store.recover(user: "admin", source: "local") }
        #expect(try t.store.load(generation: 1).commit.generation == 1)
        #expect(!FileManager.default.fileExists(atPath: t.home.historyFile(2).path))
    }

    @Test func committedHistoryIsNeverOverwritten() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit { $0.listeners[0].port = 2626 }
        let document = try t.store.load(generation: 1)
        #expect(throws: StoreError.self) { try t.store.withLock { () throws(StoreError) in try t.store.write(document) } }
        #expect(try t.store.load(generation: 1).configuration.listeners[0].port == 2525)
        #expect(try t.store.load().commit.generation == 2)
    }

    /// Every step of a commit's file writes failed with a real errno: the commit fails with
    /// the error named, the committed generation stays current, nothing is left behind.
    @Test(arguments: [FileStep.open, .write, .sync, .rename, .directorySync], [ENOSPC, EIO, EROFS])
    func aCommitWhoseWriteFailsLeavesTheCommittedGeneration(step: FileStep, code: Int32) throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let files = FaultyFiles()
        var store = t.store
        store.files = files
        var configuration = try store.load().configuration
        configuration.listeners[0].port = 2727
        // A directory sync is named by its directory (the history's comes first); the rest by file.
        files.fail(step, errno: code, matching: step == .directorySync ? "/config" : "current.json")
        do {
            _ = try store.commit(configuration, base: 1, user: "admin", source: "local", comment: "x", check: { _ in [] })
            Issue.record("a commit whose \(step) failed succeeded")
        } catch {
            #expect(error.description.contains("could not be written"))
            #expect(error.description.contains(String(cString: strerror(code))))
        }
        let current = try store.load()
        #expect(current.commit.generation == 1)
        #expect(current.configuration.listeners[0].port == 2525)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: t.home.configDirectory.path)
            .filter { $0.contains(".tmp.") }
        #expect(leftovers.isEmpty)
        #expect(files.openDescriptors == 0)
        // The store works again once the disk does.
        let record = try store.commit(configuration, base: store.load().commit.generation, user: "admin",
                                      source: "local", comment: "again", check: { _ in [] })
        #expect(try store.load().commit.generation == record.generation)
    }

    /// The window of `commit confirmed` is durable before the new generation becomes current.
    @Test func aConfirmedCommitWritesItsWindowBeforeTheGenerationBecomesCurrent() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let steps = StepRecorder()
        var store = t.store
        store.faultHook = { steps.add($0) }
        let base = try store.load()
        var configuration = base.configuration
        configuration.listeners[0].port = 2727
        _ = try store.commit(configuration, base: 1, user: "admin", source: "local", comment: "try",
                             confirmWithin: 5, check: { _ in [] })
        let order = steps.all
        let confirmed = try #require(order.firstIndex(of: .confirm(.directorySynced)))
        let current = try #require(order.firstIndex(of: .current(.renamed)))
        #expect(confirmed < current)
        #expect(store.pendingConfirmation()?.generation == 2)
    }

    /// A crash after the window was written and before the rename leaves a window for a
    /// generation that never became current: it is dropped, nothing is rolled back.
    @Test func aWindowForAGenerationThatNeverBecameCurrentIsDropped() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit { $0.listeners[0].port = 2626 }
        let stale = ConfirmWindow(generation: 3, previous: 2, deadline: Date(timeIntervalSince1970: 0), minutes: 1,
                                  user: "admin")
        try DurableFile.write(try CanonicalJSON.encode(stale), to: t.home.confirmFile)
        #expect(try t.store.rollBackIfUnconfirmed() == nil)
        #expect(t.store.pendingConfirmation() == nil)
        #expect(try t.store.load().commit.generation == 2)
    }

    /// Many committers on the same base at once: exactly one wins, every other one gets the
    /// conflict, and the history and commits.log hold the winner once.
    @Test func concurrentCommittersOnOneBaseExactlyOneWins() async throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let store = t.store
        let base = try store.load()
        let outcomes = await withTaskGroup(of: String.self) { group in
            for n in 0..<8 {
                group.addTask {
                    var configuration = base.configuration
                    configuration.listeners[0].port = 3000 + n
                    do throws(StoreError) {
                        _ = try store.commit(configuration, base: 1, user: "admin\(n)", source: "local",
                                             comment: "n\(n)", check: { _ in [] })
                        return "committed"
                    } catch {
                        if case .conflict = error { return "conflict" }
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.filter { $0 == "committed" }.count == 1)
        #expect(outcomes.filter { $0 == "conflict" }.count == 7)
        #expect(store.generations() == [1, 2])
        let log = try String(contentsOf: t.home.commitsLog, encoding: .utf8).split(separator: "\n")
        #expect(log.count == 2)
        #expect(try store.load(generation: 2) == store.load())
    }
}

final class StepRecorder: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var steps: [CommitStep] = []
    func add(_ step: CommitStep) { lock.withLock { steps.append(step) } }
    var all: [CommitStep] { lock.withLock { steps } }
}
