import Foundation
import Logging
import PosternConfig
import PosternFleet
import PosternStore
import PosternTestSupport
import Testing

/// clusterconfig MACHINES: another machine's own settings, changed from this one.
@Suite("The machine level edited from another member", .serialized)
struct FleetMachinesTests {
    @Test("gw1 moves gw2's listener to another port: a new generation, gw2 applies it, gw1 keeps its own")
    func editAnotherMachine() async throws {
        let (cluster, _) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let gw1 = try TemporaryHome()
        let gw2 = try TemporaryHome()
        defer { gw1.remove(); gw2.remove() }
        let (home1, home2) = (gw1.home, gw2.home)
        try gw1.commit { $0.listeners[0].port = 2601 }
        try gw2.commit { $0.listeners[0].port = 2602 }
        let service = EtcdFleetService(logger: Logger(label: "test"))
        let settings = FleetSettings(fleet: "machines", machine: "gw1", endpoints: cluster.clientURLs)
        let created = try await offPool {
            try service.create(home: home1, settings: settings, password: nil, user: "admin", source: "local")
        }
        let settings2 = FleetSettings(fleet: "machines", machine: "gw2", endpoints: cluster.clientURLs)
        _ = try await offPool { try service.join(home: home2, settings: settings2, password: nil) }

        var view = try await offPool { try service.view(home: home1) }
        var overrides = try #require(view.overrides["gw2"])
        #expect(try overrides.listeners[gw1.store.load().configuration.listeners[0].name]?.port == 2602)
        let name = try gw1.store.load().configuration.listeners[0].name
        overrides.listeners[name]?.port = 2700
        let edited = overrides
        let record = try await offPool {
            try service.setOverrides(home: home1, machine: "gw2", overrides: edited, user: "admin", source: "local")
        }
        #expect(record.generation == created.generation + 1)
        #expect(try gw1.store.load().commit == record)
        #expect(try gw1.store.load().configuration.listeners[0].port == 2601)  // gw1's own stays
        view = try await offPool { try service.view(home: home1) }
        #expect(view.overrides["gw2"]?.listeners[name]?.port == 2700)
        #expect(view.overrides["gw1"]?.listeners[name]?.port == 2601)

        let sync2 = try FleetSync(home: gw2.home, settings: settings2, logger: Logger(label: "test"))
        guard case .adopted(record.generation, _) = try await sync2.syncOnce() else { Issue.record("not adopted"); return }
        #expect(try gw2.store.load().configuration.listeners[0].port == 2700)

        // A value the machine cannot serve is refused before anything is written.
        overrides.listeners[name]?.interface = "NoSuchInterface"
        let unservable = overrides
        await #expect(throws: StoreError.self) {
            try await offPool {
                try service.setOverrides(home: home1, machine: "gw2", overrides: unservable, user: "admin", source: "local")
            }
        }
        #expect(try gw1.store.load().commit == record)
    }
}
