import Foundation
import Logging
import PosternConfig
import PosternFleet
import PosternRuntime
import PosternStore
import PosternTestSupport
import Testing

/// The step every member takes (FleetSync.syncOnce) on two homes against a real etcd.
@Suite("A member brings its store to the fleet's generation", .serialized)
struct FleetSyncTests {
    @Test("a generation is adopted with this machine's own addresses; one that does not check here is refused whole")
    func adoptAndRefuse() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let gw1 = try TemporaryHome()
        let gw2 = try TemporaryHome()
        defer { gw1.remove(); gw2.remove() }
        // Each machine has its own port (a per-machine setting).
        try gw1.commit { $0.listeners[0].port = 2601 }
        try gw2.commit { $0.listeners[0].port = 2602 }
        let store = FleetStore(client: client, fleet: "sync")
        let settings2 = FleetSettings(fleet: "sync", machine: "gw2", endpoints: cluster.clientURLs)
        try settings2.save(gw2.home)
        let sync2 = try FleetSync(home: gw2.home, settings: settings2, logger: Logger(label: "test"))
        try await store.setOverrides(MachineOverrides(of: try gw2.store.load().configuration), machine: "gw2")

        var configuration = try gw1.store.load().configuration
        configuration.listeners[0].hostAccess.defaultParameters.tls = .required
        var record = CommitRecord(generation: 10, parent: 0, time: Date(timeIntervalSince1970: 1_800_000_000),
                                  user: "alice", source: "local", comment: "tls")
        guard case .committed = try await store.commit(ConfigDocument(commit: record, configuration: configuration),
                                                       machine: "gw1") else { Issue.record("commit"); return }
        guard case .adopted(let generation, _) = try await sync2.syncOnce() else { Issue.record("not adopted"); return }
        #expect(generation == 10)
        let adopted = try gw2.store.load()
        #expect(adopted.commit.generation == 10)
        #expect(adopted.configuration.listeners[0].hostAccess.defaultParameters.tls == .required)
        #expect(adopted.configuration.listeners[0].port == 2602)  // gw2's own, not gw1's 2601
        guard case .current(10, _) = try await sync2.syncOnce() else { Issue.record("not current"); return }

        // A certificate profile whose files exist on gw1 only: gw2's check refuses the generation
        // and keeps serving generation 10.
        let pki = try TestPKI()
        try TestPKI.write(pki.server, name: "partner", to: gw1.home.certsDirectory)
        configuration.certificates.append(CertificateProfile(name: "partner", certificateFile: "partner.crt",
                                                             keyFile: "partner.key"))
        configuration.listeners[0].certificate = "partner"
        #expect(CompiledConfiguration.check(configuration, home: gw1.home).isEmpty)
        record = CommitRecord(generation: 11, parent: 10, time: record.time, user: "alice", source: "local",
                              comment: "partner certificate")
        guard case .committed = try await store.commit(ConfigDocument(commit: record, configuration: configuration),
                                                       machine: "gw1") else { Issue.record("commit 11"); return }
        guard case .rejected(11, _, let problems) = try await sync2.syncOnce() else { Issue.record("not rejected"); return }
        #expect(problems.joined().contains("partner"))
        #expect(try gw2.store.load().commit.generation == 10)
    }

    @Test("a follower's member key is renewed with its keepalives, so 'last seen' stays fresh")
    func memberKeyIsRenewed() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let home = try TemporaryHome()
        defer { home.remove() }
        let settings = FleetSettings(fleet: "seen", machine: "gw1", endpoints: cluster.clientURLs)
        try settings.save(home.home)
        let follower = FleetFollower(
            sync: try FleetSync(home: home.home, settings: settings, logger: Logger(label: "test")), logger: Logger(label: "test"))
        follower.start()
        defer { follower.stop() }
        let store = FleetStore(client: client, fleet: "seen")
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var first: Date?
        var later: Date?
        while clock.now < deadline, later == nil {
            if let member = try await store.members().first(where: { $0.machine == "gw1" }) {
                if let first, member.seen > first { later = member.seen } else if first == nil { first = member.seen }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(first != nil)
        #expect(later != nil)
        let kv = try #require(try await client.range(RangeRequest(key: store.keys.member("gw1"))).kvs.first)
        #expect(kv.lease.value != 0)  // under a lease: it goes when the engine does
    }
}

/// A careless hand in etcd (etcdctl put): the member keeps the generation it serves and says why.
@Suite("A damaged generation in etcd is refused with its reason", .serialized)
struct DamagedGenerationTests {
    @Test("bytes that do not match the pointer's SHA-256, bad JSON, another commit's document: each refused, the old one kept")
    func damagedDocuments() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let gw1 = try TemporaryHome()
        let gw2 = try TemporaryHome()
        defer { gw1.remove(); gw2.remove() }
        let store = FleetStore(client: client, fleet: "damaged")
        let settings = FleetSettings(fleet: "damaged", machine: "gw2", endpoints: cluster.clientURLs)
        try settings.save(gw2.home)
        let sync = try FleetSync(home: gw2.home, settings: settings, logger: Logger(label: "test"))
        var configuration = try gw1.store.load().configuration
        let time = Date(timeIntervalSince1970: 1_800_000_000)
        func commit(_ generation: Int, _ tls: TLSLevel) async throws -> FleetPointer {
            configuration.listeners[0].hostAccess.defaultParameters.tls = tls
            let record = CommitRecord(generation: generation, parent: generation == 10 ? 0 : generation - 1, time: time, user: "alice",
                                      source: "local", comment: "tls")
            guard case .committed(let pointer) = try await store.commit(
                ConfigDocument(commit: record, configuration: configuration), machine: "gw1")
            else { throw POSIXError(.EAGAIN) }
            return pointer
        }
        _ = try await commit(10, .preferred)
        guard case .adopted(10, _) = try await sync.syncOnce() else { Issue.record("not adopted"); return }

        // Generation 2 rewritten by hand with other (valid) content: the SHA-256 no longer matches.
        let pointer = try await commit(11, .required)
        var forged = try #require(try await store.generation(11))
        forged.document.configuration.listeners[0].hostAccess.defaultParameters.tls = .no
        _ = try await client.put(PutRequest(key: store.keys.generation(11), value: try CanonicalJSON.encode(forged)))
        guard case .rejected(11, _, let mismatch) = try await sync.syncOnce() else { Issue.record("forged adopted"); return }
        #expect(mismatch.joined().contains("damaged"))
        #expect(try gw2.store.load().commit.generation == 10)

        // Not JSON at all, with a pointer that names exactly those bytes.
        let junk = Data("{\"id\": \"truncated".utf8)
        var repointed = pointer
        repointed.sha256 = FleetStore.sha256(junk)
        _ = try await client.put(PutRequest(key: store.keys.generation(11), value: junk))
        _ = try await client.put(PutRequest(key: store.keys.current, value: try CanonicalJSON.encode(repointed)))
        guard case .rejected(11, _, let unreadable) = try await sync.syncOnce() else { Issue.record("junk adopted"); return }
        #expect(unreadable.joined().contains("cannot be read"))

        // Another commit's document under this generation's key.
        let other = try #require(try await store.generation(10))
        let otherBytes = try CanonicalJSON.encode(other)
        repointed.sha256 = FleetStore.sha256(otherBytes)
        _ = try await client.put(PutRequest(key: store.keys.generation(11), value: otherBytes))
        _ = try await client.put(PutRequest(key: store.keys.current, value: try CanonicalJSON.encode(repointed)))
        guard case .rejected(11, _, let misplaced) = try await sync.syncOnce() else { Issue.record("misplaced adopted"); return }
        #expect(misplaced.joined().contains("holds generation 10"))
        #expect(try gw2.store.load().commit.generation == 10)
        #expect(try gw2.store.load().configuration.listeners[0].hostAccess.defaultParameters.tls == .preferred)

        // A damaged pointer: the running follower says so in its member key, and keeps generation 1.
        _ = try await client.put(PutRequest(key: store.keys.current, value: Data("not json".utf8)))
        let follower = FleetFollower(sync: sync, logger: Logger(label: "test"))
        follower.start()
        defer { follower.stop() }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var reported: String?
        while clock.now < deadline, reported == nil {
            reported = try await store.members().first(where: { $0.machine == "gw2" })?.lastError
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(reported?.contains("cannot be read") == true)
        #expect(try gw2.store.load().commit.generation == 10)
    }
}
