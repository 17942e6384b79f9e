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
