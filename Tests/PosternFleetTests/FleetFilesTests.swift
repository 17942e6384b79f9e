import Foundation
import Logging
import PosternConfig
import PosternFleet
import PosternRuntime
import PosternStore
import PosternTestSupport
import Testing

/// Certificate files travel with the configuration (content-addressed in etcd).
@Suite("Certificate files are distributed with the configuration", .serialized)
struct FleetFilesTests {
    @Test("a profile whose files exist only on gw1 is served on gw2: the files arrive with key permissions")
    func certificateFilesArrive() async throws {
        let (cluster, _) = try await EtcdCluster.started()
        defer { cluster.stop() }
        let gw1 = try TemporaryHome()
        let gw2 = try TemporaryHome()
        defer { gw1.remove(); gw2.remove() }
        let (home1, home2) = (gw1.home, gw2.home)
        let service = EtcdFleetService(logger: Logger(label: "test"))
        let settings = FleetSettings(fleet: "files", machine: "gw1", endpoints: cluster.clientURLs)
        let settings2 = FleetSettings(fleet: "files", machine: "gw2", endpoints: cluster.clientURLs)
        _ = try await offPool { try service.create(home: home1, settings: settings, password: nil, user: "admin", source: "local") }
        _ = try await offPool { try service.join(home: home2, settings: settings2, password: nil) }

        let pki = try TestPKI()
        try TestPKI.write(pki.server, name: "partner", to: gw1.home.certsDirectory)
        let base = try gw1.store.load()
        var configuration = base.configuration
        configuration.certificates.append(CertificateProfile(name: "partner", certificateFile: "partner.crt",
                                                             keyFile: "partner.key"))
        configuration.listeners[0].certificate = "partner"
        let pending = configuration
        let record = try await offPool {
            try service.commit(home: home1, configuration: pending, base: base.commit.generation, user: "admin",
                               source: "local", comment: "partner", check: { CompiledConfiguration.check($0, home: home1) })
        }
        let sync2 = try FleetSync(home: gw2.home, settings: settings2, logger: Logger(label: "test"))
        let outcome = try await sync2.syncOnce()
        guard case .adopted(record.generation, _) = outcome else { Issue.record("not adopted: \(outcome)"); return }
        for name in ["partner.crt", "partner.key"] {
            let copied = try #require(FileManager.default.contents(atPath: gw2.home.certificateFile(name).path))
            #expect(copied == FileManager.default.contents(atPath: gw1.home.certificateFile(name).path))
            let mode = try FileManager.default.attributesOfItem(atPath: gw2.home.certificateFile(name).path)[.posixPermissions]
            #expect((mode as? NSNumber)?.uint16Value == UInt16(Home.privateKeyMode))
        }
        #expect(try gw2.store.load().configuration.listeners[0].certificate == "partner")

        // A machine whose own certs/partner.key has other bytes takes the fleet's (certificates are the fleet's);
        // one damaged in etcd is refused, with its reason.
        let gw3 = try TemporaryHome()
        defer { gw3.remove() }
        try TestPKI.write(pki.server, name: "partner", to: gw3.home.certsDirectory)
        try Data("not the fleet's key".utf8).write(to: gw3.home.certificateFile("partner.key"))
        let settings3 = FleetSettings(fleet: "files", machine: "gw3", endpoints: cluster.clientURLs)
        try settings3.save(gw3.home)
        let sync3 = try FleetSync(home: gw3.home, settings: settings3, logger: Logger(label: "test"))
        guard case .adopted = try await sync3.syncOnce() else { Issue.record("gw3 did not adopt"); return }
        #expect(FileManager.default.contents(atPath: gw3.home.certificateFile("partner.key").path)
            == FileManager.default.contents(atPath: gw1.home.certificateFile("partner.key").path))

        let gw4 = try TemporaryHome()
        defer { gw4.remove() }
        let key = try #require(FileManager.default.contents(atPath: gw1.home.certificateFile("partner.key").path))
        let client = try cluster.client()
        _ = try await client.put(PutRequest(key: FleetKeys(fleet: "files").file(sha256: FleetStore.sha256(key)),
                                            value: Data("damaged".utf8)))
        let settings4 = FleetSettings(fleet: "files", machine: "gw4", endpoints: cluster.clientURLs)
        try settings4.save(gw4.home)
        let sync4 = try FleetSync(home: gw4.home, settings: settings4, logger: Logger(label: "test"))
        guard case .rejected(_, _, let problems) = try await sync4.syncOnce() else { Issue.record("gw4 adopted"); return }
        #expect(problems.joined().contains("etcd does not hold certs/partner.key"))
        #expect(!FileManager.default.fileExists(atPath: gw4.home.certificateFile("partner.key").path))
    }
}
