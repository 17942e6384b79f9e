import Foundation
import PosternConfig
import PosternRuntime
import PosternTestSupport
import Testing
@testable import PosternStore

@Suite struct StoreTests {
    @Test func bootstrapWritesGenerationOneAndTheDemoCertificate() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let document = try t.store.load()
        #expect(document.commit.generation == 1)
        #expect(document.commit.comment == "Factory configuration")
        #expect(document.configuration == FactoryDefaults.configuration)
        let key = t.home.certificateFile("demo.key").path
        var info = stat()
        #expect(stat(key, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640)
        #expect(try HomeBootstrap.prepare(t.home) == false)  // a second call changes nothing
    }

    @Test func commitWritesHistoryCurrentAndLog() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let record = try t.commit("enabled TLS on InboundMail", user: "alice") {
            $0.listeners[0].hostAccess.defaultParameters.tls = .required
        }
        #expect(record.generation == 2)
        #expect(record.parent == 1)
        let current = try t.store.load()
        #expect(current.commit == record)
        #expect(current.configuration.listeners[0].hostAccess.defaultParameters.tls == .required)
        #expect(try Data(contentsOf: t.home.currentFile) == (try Data(contentsOf: t.home.historyFile(2))))
        let log = try String(contentsOf: t.home.commitsLog, encoding: .utf8).split(separator: "\n")
        #expect(log.count == 2)
        #expect(log[1].contains("generation=2 parent=1 user=\"alice\" source=\"local\" comment=\"enabled TLS on InboundMail\""))
        #expect(t.store.history().map(\.generation) == [1, 2])
    }

    @Test func aCommitOnAStaleBaseIsAConflictNamingWhoCommitted() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit("first", user: "bob") { $0.listenerSettings.idleTimeout = 60 }
        var mine = FactoryDefaults.configuration
        mine.listenerSettings.idleTimeout = 120
        #expect {
            try t.store.commit(mine, base: 1, user: "alice", source: "local", comment: "mine", check: { _ in [] })
        } throws: { error in
            guard case StoreError.conflict(base: 1, current: let record) = error else { return false }
            return record.user == "bob" && error.localizedDescription.contains("bob") || "\(error)".contains("bob")
        }
        #expect(try t.store.load().commit.generation == 2)
    }

    @Test func anInvalidConfigurationIsRefusedWithItsProblems() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        #expect {
            try t.commit { $0.ssl.inbound.ciphers = "RC4-SHA:RC4-MD5" }
        } throws: { error in
            guard case StoreError.invalid(let problems) = error else { return false }
            return problems.problems.contains { $0.path == "ssl.inbound" && $0.message.contains("no cipher match") }
        }
        #expect(try t.store.load().commit.generation == 1)
    }

    @Test func theCheckFindsAMissingCertificateFile() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        var config = FactoryDefaults.configuration
        config.certificates.append(CertificateProfile(name: "Partner", certificateFile: "partner.crt",
                                                      keyFile: "partner.key"))
        config.listeners[0].certificate = "Partner"
        let problems = CompiledConfiguration.check(config, home: t.home)
        #expect(problems == [ConfigProblem(path: "certificates[Partner]",
                                           message: "The file certs/partner.crt does not exist or cannot be read.")])
    }

    @Test func aDamagedCurrentFileSaysHowToRecover() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try Data("{\"schema\": 1, \"broken".utf8).write(to: t.home.currentFile)
        #expect(throws: StoreError.self) { try t.store.load() }
        do {
            _ = try t.store.load()
        } catch {
            #expect(error.description.contains("The file is not valid JSON."))
            #expect(error.description.contains("recoverconfig"))
        }
        // The history still holds generation 1, byte for byte what current.json was.
        #expect(try t.store.load(generation: 1).commit.generation == 1)
    }

    @Test func recoveryCommitsTheNewestReadableGenerationAgain() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        #expect(throws: StoreError.self) { try t.store.recover(user: "bob", source: "local") }  // nothing is damaged
        _ = try t.commit("cipher change to HIGH/TLSv1.3", user: "alice") { $0.ssl.inbound.ciphers = "HIGH:!aNULL" }
        _ = try t.commit("limits", user: "alice") { $0.listeners[0].maxConcurrency = 700 }
        let second = try t.store.load(generation: 2)
        // current.json and the newest history file are both damaged: generation 2 is the newest that reads.
        try Data("{".utf8).write(to: t.home.currentFile)
        try Data("[]".utf8).write(to: t.home.historyFile(3))
        let recovery = try t.store.recover(user: "bob", source: "192.0.2.4")
        #expect(recovery.from == second.commit)
        #expect(recovery.record.generation == 4)
        #expect(recovery.record.parent == 2)
        #expect(recovery.record.user == "bob")
        let current = try t.store.load()
        #expect(current.commit == recovery.record)
        #expect(current.configuration == second.configuration)
        let log = try String(contentsOf: t.home.commitsLog, encoding: .utf8)
        #expect(log.contains("comment=\"Recovered generation 2: config/current.json could not be read\""))
        #expect(log.contains("comment=\"cipher change to HIGH/TLSv1.3\""))
    }

    @Test func historyIgnoresAGenerationThatNeverBecameCurrent() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        // What a crash between the history write and the rename leaves.
        try Data(contentsOf: t.home.historyFile(1)).write(to: t.home.historyFile(2))
        #expect(t.store.history().map(\.generation) == [1])
        let record = try t.commit { $0.listenerSettings.idleTimeout = 30 }
        #expect(record.generation == 2)
    }

    @Test func lockIsExclusiveAndTimesOut() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        var inner: StoreError?
        try t.store.withLock { () throws(StoreError) in
            // flock is per open file description: a second open in this process contends too.
            do throws(StoreError) {
                try t.store.withLock(timeout: .milliseconds(50)) { () throws(StoreError) in () }
            } catch {
                inner = error
            }
        }
        guard case .locked? = inner else {
            Issue.record("the second lock was granted")
            return
        }
    }
}
