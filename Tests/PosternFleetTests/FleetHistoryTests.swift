import Foundation
import Logging
import PosternConfig
import PosternFleet
import PosternStore
import PosternTestSupport
import Testing

/// showchanges, commitdetail and rollbackconfig read the local history: on every member it is the fleet's.
@Suite("A member's history is the fleet's whole history", .serialized)
struct FleetHistoryTests {
    @Test("generations committed while a member did not follow reach its history, with its own addresses")
    func missedGenerationsAreRecorded() async throws {
        let (cluster, client) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let gw1 = try TemporaryHome()
        let gw2 = try TemporaryHome()
        defer { gw1.remove(); gw2.remove() }
        try gw2.commit { $0.listeners[0].port = 2602 }
        let store = FleetStore(client: client, fleet: "history")
        let settings = FleetSettings(fleet: "history", machine: "gw2", endpoints: cluster.clientURLs)
        try settings.save(gw2.home)
        try await store.setOverrides(MachineOverrides(of: try gw2.store.load().configuration), machine: "gw2")
        let sync = try FleetSync(home: gw2.home, settings: settings, logger: Logger(label: "test"))
        var configuration = try gw1.store.load().configuration
        configuration.listeners[0].port = 2601
        for (generation, concurrency) in [(10, 11), (11, 12), (12, 13)] {
            configuration.listeners[0].maxConcurrency = concurrency
            let record = CommitRecord(generation: generation, parent: generation == 10 ? 0 : generation - 1,
                                      time: Date(timeIntervalSince1970: 1_800_000_000), user: "alice", source: "local",
                                      comment: "concurrency \(concurrency)")
            guard case .committed = try await store.commit(ConfigDocument(commit: record, configuration: configuration),
                                                           machine: "gw1") else { Issue.record("commit"); return }
        }
        // gw2 looks only now: it adopts 12, and 10 and 11 are in its history too.
        guard case .adopted(12, _) = try await sync.syncOnce() else { Issue.record("not adopted"); return }
        #expect(Set([10, 11, 12]).isSubset(of: Set(gw2.store.generations())))
        let eleven = try gw2.store.load(generation: 11)
        #expect(eleven.commit.comment == "concurrency 12")
        #expect(eleven.configuration.listeners[0].maxConcurrency == 12)
        #expect(eleven.configuration.listeners[0].port == 2602)  // as gw2 would have served it
        #expect(gw2.store.history().map(\.generation).suffix(3) == [10, 11, 12])
        #expect(try gw2.store.load().commit.generation == 12)
    }
}
