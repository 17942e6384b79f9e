import Foundation
import Logging
import PosternConfig
import PosternFleet
import PosternStore
import PosternTestSupport
import Testing

/// JOIN as a careless admin does it: wrong endpoints, a wrong password, then right.
@Suite("JOIN against etcd with users", .serialized)
struct FleetJoinTests {
    @Test("JOIN with the etcd user's password works; a wrong password or dead endpoints leave the machine standalone")
    func joinWithCredentials() async throws {
        let (cluster, _) = try await EtcdCluster.started()
        defer { cluster.stop() }
        #expect(try cluster.etcdctl("user", "add", "root:s3cret-pw"))
        #expect(try cluster.etcdctl("user", "grant-role", "root", "root"))
        #expect(try cluster.etcdctl("auth", "enable"))
        let gw1 = try TemporaryHome()
        let gw2 = try TemporaryHome()
        defer { gw1.remove(); gw2.remove() }
        let (home1, home2) = (gw1.home, gw2.home)
        // The fleet's configuration needs a certificate whose files only gw1 has (they travel with it).
        let pki = try TestPKI()
        try TestPKI.write(pki.server, name: "partner", to: gw1.home.certsDirectory)
        try gw1.commit {
            $0.listeners[0].hostAccess.defaultParameters.tls = .required
            $0.certificates.append(CertificateProfile(name: "partner", certificateFile: "partner.crt", keyFile: "partner.key"))
            $0.listeners[0].certificate = "partner"
        }
        // gw2 counted to the same generation number on its own.
        try gw2.commit { $0.listeners[0].port = 2602 }
        let own = try gw2.commit("second") { $0.hostname = "gw2.example.com" }
        let service = EtcdFleetService(logger: Logger(label: "test"))
        var settings = FleetSettings(fleet: "auth", machine: "gw1", endpoints: cluster.clientURLs)
        settings.username = "root"
        let creating = settings
        let created = try await offPool {
            try service.create(home: home1, settings: creating, password: "s3cret-pw", user: "admin", source: "local")
        }

        settings.machine = "gw2"
        var dead = settings
        dead.endpoints = ["http://127.0.0.1:\(freePort())"]
        let joining = settings, deadEndpoints = dead
        await #expect(throws: StoreError.self) {
            try await offPool { try service.join(home: home2, settings: deadEndpoints, password: "s3cret-pw") }
        }
        #expect(FleetSettings.load(gw2.home) == nil)
        do {
            _ = try await offPool { try service.join(home: home2, settings: joining, password: "wrong-pw") }
            Issue.record("a wrong password joined")
        } catch let error as StoreError {
            #expect(error.description.contains("authentication as root failed"))
            #expect(!error.description.contains("wrong-pw"))
        }
        #expect(FleetSettings.load(gw2.home) == nil)
        #expect(FleetSettings.password(gw2.home) == nil)
        #expect(try gw2.store.load().commit.generation == own.generation)
        #expect(gw2.store.generations().contains(own.generation))  // a refused JOIN keeps the machine's own history in place

        // Refused by gw2's own check (the fleet's key file damaged in etcd): nothing moves, its history
        // stays where showchanges finds it.
        let keyBytes = try #require(FileManager.default.contents(atPath: gw1.home.certificateFile("partner.key").path))
        let keyKey = FleetKeys(fleet: "auth").file(sha256: FleetStore.sha256(keyBytes))
        var rootSettings = EtcdSettings(endpoints: cluster.clientURLs)
        rootSettings.username = "root"
        rootSettings.password = "s3cret-pw"
        let root = try EtcdClient(settings: rootSettings, logger: Logger(label: "test"))
        _ = try await root.put(PutRequest(key: keyKey, value: Data("damaged".utf8)))
        do {
            _ = try await offPool { try service.join(home: home2, settings: joining, password: "s3cret-pw") }
            Issue.record("joined without the certificate's files")
        } catch let error as StoreError {
            #expect(error.description.contains("partner"))
        }
        #expect(FleetSettings.load(gw2.home) == nil)
        #expect(gw2.store.generations().contains(own.generation))
        #expect(try gw2.store.load().commit == own)

        _ = try await root.put(PutRequest(key: keyKey, value: keyBytes))
        let joined = try await offPool { try service.join(home: home2, settings: joining, password: "s3cret-pw") }
        #expect(joined.generation == created.generation)
        #expect(FleetSettings.load(gw2.home) == settings)
        #expect(FleetSettings.password(gw2.home) == "s3cret-pw")
        #expect(created.generation == own.generation)
        let adopted = try gw2.store.load()
        #expect(adopted.commit == created)  // the fleet's commit, not gw2's own of the same number
        #expect(adopted.configuration.listeners[0].hostAccess.defaultParameters.tls == .required)
        #expect(adopted.configuration.listeners[0].port == 2602)
        #expect(adopted.configuration.hostname == "gw2.example.com")
    }
}
