import Foundation
import PosternConfig
import PosternFleet
import PosternStore
import PosternTestSupport
import Testing

@Suite("etcd JSON gateway types")
struct EtcdTypesTests {
    @Test("absent fields are zero, int64 arrive as strings, bytes as base64")
    func decodesGatewayShapes() throws {
        let json = #"{"header":{"revision":"42"},"kvs":[{"key":"L3gvYQ==","create_revision":"2","value":"aGk="}],"count":"1","more":true}"#
        let response = try JSONDecoder().decode(RangeResponse.self, from: Data(json.utf8))
        #expect(response.header?.revision == 42)
        #expect(response.count == 1)
        let kv = try #require(response.kvs.first)
        #expect(String(decoding: kv.key, as: UTF8.self) == "/x/a")
        #expect(String(decoding: kv.value, as: UTF8.self) == "hi")
        #expect(kv.createRevision == 2)
        #expect(kv.modRevision == 0)  // absent
        let empty = try JSONDecoder().decode(TxnResponse.self, from: Data(#"{"header":{}}"#.utf8))
        #expect(empty.succeeded == false)
        #expect(empty.responses.isEmpty)
    }

    @Test("int64 fields are written as strings")
    func encodesInt64AsString() throws {
        let text = String(decoding: try JSONEncoder().encode(Compare.modRevision(Data("k".utf8), equals: 7)), as: UTF8.self)
        #expect(text.contains(#""mod_revision":"7""#))
    }
}

@Suite("A fleet's store on a real etcd", .serialized)
struct FleetStoreTests {
    static func document(generation: Int, parent: Int, user: String, comment: String) throws -> ConfigDocument {
        let home = try TemporaryHome()
        defer { home.remove() }
        var configuration = try home.store.load().configuration
        configuration.listeners[0].hostAccess.defaultParameters.tls = .required
        return ConfigDocument(
            commit: CommitRecord(generation: generation, parent: parent, time: Date(timeIntervalSince1970: 1_800_000_000),
                                 user: user, source: "local", comment: comment),
            configuration: configuration)
    }

    @Test("two commits on the same base: exactly one wins, the other is told who")
    func concurrentCommits() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let store = FleetStore(client: client, fleet: "f1")
        let first = try await store.commit(try Self.document(generation: 1, parent: 0, user: "alice", comment: "base"),
                                           machine: "gw1")
        guard case .committed = first else { Issue.record("first commit: \(first)"); return }
        async let a = store.commit(try Self.document(generation: 2, parent: 1, user: "alice", comment: "a"), machine: "gw1")
        async let b = store.commit(try Self.document(generation: 2, parent: 1, user: "bob", comment: "b"), machine: "gw2")
        let outcomes = try await [a, b]
        let winners = outcomes.compactMap { if case .committed(let p) = $0 { p } else { nil } }
        let losers = outcomes.compactMap { if case .conflict(let p) = $0 { p } else { nil } }
        #expect(winners.count == 1)
        #expect(losers.count == 1)
        #expect(losers.first?.id == winners.first?.id)  // the loser is told the winner's commit
        let current = try #require(try await store.current())
        #expect(current.pointer.generation == 2)
        #expect(current.pointer.user == winners.first?.user)
        let stored = try #require(try await store.generation(2))
        #expect(stored.id == winners.first?.id)
        #expect(stored.document.configuration.listeners[0].hostAccess.defaultParameters.tls == .required)
        #expect(try await store.generations() == [1, 2])
        #expect(try await store.overrides(winners.first?.machine ?? "") != nil)
    }

    @Test("a configuration over the document limit is refused before anything is written")
    func tooLargeIsRefused() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let store = FleetStore(client: client, fleet: "big")
        var document = try Self.document(generation: 1, parent: 0, user: "alice", comment: String(repeating: "x", count: 1_100_000))
        document.commit.comment += ""
        do {
            _ = try await store.commit(document, machine: "gw1")
            Issue.record("a 1.1 MB document was committed")
        } catch let error as StoreError {
            #expect(error.description.contains("at most 1000000 bytes"))
        }
        #expect(try await store.current() == nil)
    }

    @Test("a dead endpoint is skipped; all dead names every endpoint")
    func failover() async throws {
        let (cluster, _) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let dead = "http://127.0.0.1:\(freePort())"
        let client = try cluster.client([dead] + cluster.clientURLs)
        #expect(try await client.range(RangeRequest(key: Data("/ready".utf8))).kvs.count == 1)
        let nobody = try cluster.client([dead, "http://127.0.0.1:\(freePort())"])
        do {
            _ = try await nobody.range(RangeRequest(key: Data("/ready".utf8)))
            Issue.record("no endpoint answers, yet the range succeeded")
        } catch let error as EtcdError {
            #expect(error.isUnreachable)
            #expect(error.description.contains(dead))
        }
    }

    @Test("a watch from a revision sees the next put of current")
    func watchSeesCommit() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let store = FleetStore(client: client, fleet: "w")
        guard case .committed = try await store.commit(try Self.document(generation: 1, parent: 0, user: "a", comment: "1"),
                                                       machine: "gw1") else { Issue.record("commit 1"); return }
        let revision = try #require(try await store.current()).modRevision
        async let seen: Int = {
            var generation = 0
            try await client.watch(key: store.keys.current, startRevision: revision + 1) { response in
                for event in response.events {
                    if let value = event.kv?.value, let pointer = try? CanonicalJSON.decode(FleetPointer.self, from: value) {
                        generation = pointer.generation
                        return false
                    }
                }
                return true
            }
            return generation
        }()
        _ = try await store.commit(try Self.document(generation: 2, parent: 1, user: "a", comment: "2"), machine: "gw1")
        #expect(try await seen == 2)
    }

    @Test("a watch from a compacted revision is canceled with the compaction revision (the follower re-reads)")
    func watchAfterCompaction() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let key = Data("/postern/c/config/current".utf8)
        let first = try await client.put(PutRequest(key: key, value: Data("1".utf8))).header?.revision.value ?? 0
        let second = try await client.put(PutRequest(key: key, value: Data("2".utf8))).header?.revision.value ?? 0
        try await client.compact(revision: second)
        var canceled: WatchResponse?
        try await client.watch(key: key, startRevision: first) { response in
            if response.canceled { canceled = response }
            return !response.canceled
        }
        #expect(canceled?.compactRevision.value == second)
    }

    @Test("a lease keeps its key alive; a lease etcd does not know answers TTL 0")
    func leases() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let lease = try await client.grantLease(ttl: 10)
        _ = try await client.put(PutRequest(key: Data("/m/gw1".utf8), value: Data("x".utf8), lease: lease))
        #expect(try await client.keepAlive(lease: lease) > 0)
        #expect(try await client.keepAlive(lease: 12345) == 0)
        let kv = try #require(try await client.range(RangeRequest(key: Data("/m/gw1".utf8))).kvs.first)
        #expect(kv.lease.value == lease)
    }
}

@Suite("Ambiguous writes and etcd users", .serialized)
struct EtcdAmbiguityTests {
    @Test("a lost txn answer or request is resolved by reading current, and the commit is written once",
          arguments: [LossyProxy.Loss.answer, .request])
    func ambiguousCommitIsResolvedByReading(loss: LossyProxy.Loss) async throws {
        let (cluster, reader) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let port = Int(cluster.clientURLs[0].split(separator: ":").last ?? "") ?? 0
        let proxy = LossyProxy(targetPort: port, loses: loss)
        defer { proxy.stop() }
        let client = try cluster.client([proxy.url] + cluster.clientURLs)
        let store = FleetStore(client: client, fleet: "amb")
        let document = try FleetStoreTests.document(generation: 1, parent: 0, user: "alice", comment: "once")
        // The read of current passes the proxy; the txn's answer (or the txn) is lost: the outcome
        // is unknown, so the store reads current on the next member for this commit's id.
        let outcome = try await store.commit(document, machine: "gw1", id: "commit-1")
        guard case .committed(let pointer) = outcome else { Issue.record("not committed: \(outcome)"); return }
        #expect(pointer.id == "commit-1")
        let fleet = FleetStore(client: reader, fleet: "amb")
        #expect(try await fleet.current()?.pointer.id == "commit-1")
        #expect(try await fleet.generations() == [1])
    }

    @Test("a txn whose answer is lost is not resent to another member: the caller is told it is ambiguous")
    func lostAnswerIsAmbiguous() async throws {
        let (cluster, _) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let port = Int(cluster.clientURLs[0].split(separator: ":").last ?? "") ?? 0
        let proxy = LossyProxy(targetPort: port, loses: .answer)
        defer { proxy.stop() }
        let client = try cluster.client([proxy.url] + cluster.clientURLs)
        let key = Data("/amb/once".utf8)
        do {
            _ = try await client.txn(TxnRequest(
                compare: [.createRevision(key, equals: 0)], success: [.put(PutRequest(key: key, value: Data("1".utf8)))],
                failure: []))
            Issue.record("the answer was lost, yet the txn returned")
        } catch let error as EtcdError {
            #expect(error.isAmbiguous)
        }
        // It happened once, through the proxy, and was not sent again.
        let kv = try #require(try await client.range(RangeRequest(key: key)).kvs.first)
        #expect(kv.version == 1)
    }

    @Test("etcd users: the right password works, a wrong one is refused without being repeated")
    func usernameAndPassword() async throws {
        let (cluster, root) = try await EtcdCluster.started()
        defer { cluster.stop() }
        _ = root
        #expect(try cluster.etcdctl("user", "add", "root:s3cret-pw"))
        #expect(try cluster.etcdctl("user", "grant-role", "root", "root"))
        #expect(try cluster.etcdctl("auth", "enable"))
        var settings = EtcdSettings(endpoints: cluster.clientURLs)
        settings.username = "root"
        settings.password = "s3cret-pw"
        let client = try EtcdClient(settings: settings, logger: .init(label: "test"))
        _ = try await client.put(PutRequest(key: Data("/auth/x".utf8), value: Data("1".utf8)))
        #expect(try await client.range(RangeRequest(key: Data("/auth/x".utf8))).kvs.count == 1)
        #expect(!settings.description.contains("s3cret"))

        settings.password = "wrong-pw"
        let wrong = try EtcdClient(settings: settings, logger: .init(label: "test"))
        do {
            _ = try await wrong.range(RangeRequest(key: Data("/auth/x".utf8)))
            Issue.record("a wrong password was accepted")
        } catch {
            #expect("\(error)".contains("authentication as root failed"))
            #expect(!"\(error)".contains("wrong-pw"))
        }
    }
}

@Suite("Watches end when their task is cancelled")
struct EtcdWatchCancellationTests {
    /// The follower re-reads every few seconds by cancelling its watch; a watch that ignored
    /// cancellation would hold the follower until the next event.
    @Test("cancelling a watch with no events ends it")
    func cancelEndsWatch() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let created = LossyProxy.Flag()
        let ended = LossyProxy.Flag()
        let watch = Task {
            defer { ended.value = true }
            try await client.watch(key: Data("/quiet".utf8), startRevision: 0) { response in
                if response.created { created.value = true }
                return true
            }
        }
        while !created.value { try await Task.sleep(for: .milliseconds(10)) }
        watch.cancel()
        // Bounded: a watch that ignores cancellation fails here instead of hanging the suite.
        let deadline = ContinuousClock.now + .seconds(30)
        while !ended.value && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(ended.value)
    }
}
