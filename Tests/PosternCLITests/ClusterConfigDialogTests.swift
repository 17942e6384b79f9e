import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// Records what `clusterconfig` hands the fleet; the etcd side has its own tests (PosternFleetTests).
final class RecordingFleet: FleetService, @unchecked Sendable {
    // @unchecked: one test's session uses it, on one thread.
    var joined: (settings: FleetSettings, password: String?)?

    func sync(home: Home) -> String? { nil }
    func create(home: Home, settings: FleetSettings, password: String?, user: String, source: String)
        throws(StoreError) -> CommitRecord { throw StoreError.io("not in this test") }
    func join(home: Home, settings: FleetSettings, password: String?) throws(StoreError) -> FleetJoin {
        joined = (settings, password)
        return FleetJoin(generation: 7, archivedHistory: nil)
    }
    func leave(home: Home) throws(StoreError) {}
    func view(home: Home) throws(StoreError) -> FleetView { throw StoreError.io("not in this test") }
    func commit(home: Home, configuration: Configuration, base: Int, user: String, source: String, comment: String,
                check: (Configuration) -> [ConfigProblem]) throws(StoreError) -> CommitRecord {
        throw StoreError.io("not in this test")
    }
    func awaitMembers(home: Home, generation: Int, timeout: Duration, progress: (MemberStatus) -> Void) -> FleetProgress {
        FleetProgress(applied: 0, members: 0)
    }
}

@Suite struct ClusterConfigDialogTests {
    static func session(_ t: TemporaryHome, _ input: [String]) throws -> (CLISession, CapturedOutput) {
        let output = CapturedOutput()
        let session = try CLISession(home: t.home, store: t.store,
                                     dialog: Dialog(reader: ScriptedLineReader(input, output: output), output: output,
                                                    mode: .interactive),
                                     user: "admin", source: "local")
        return (session, output)
    }

    @Test func joinAsksForTheTLSFilesAndTheEtcdUserWithThePasswordUnechoed() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let fleet = RecordingFleet()
        let (session, output) = try Self.session(t, [
            "clusterconfig", "join", "demo", "https://127.0.0.1:2379,https://127.0.0.1:2380", "gw2",
            "../etc/ca.pem", "ca.pem", "client.pem", "client.key", "postern", "pa55-word", "quit",
        ])
        session.fleet = fleet
        _ = session.run()
        let joined = try #require(fleet.joined)
        #expect(joined.settings.caFile == "ca.pem")
        #expect(joined.settings.certificateFile == "client.pem")
        #expect(joined.settings.keyFile == "client.key")
        #expect(joined.settings.username == "postern")
        #expect(joined.password == "pa55-word")
        #expect(output.text.contains("Enter the name of a PEM file in the home's fleet/ directory."))
        #expect(output.text.contains("Enter the password of etcd user postern:"))
        #expect(!output.text.contains("pa55-word"))  // the reader's echo is off for the secret
        #expect(output.text.contains("gw2 joined fleet demo at generation 7."))
    }

    @Test func plainHTTPWithoutUsersAsksNeitherFilesNorPassword() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let fleet = RecordingFleet()
        let (session, output) = try Self.session(t, [
            "clusterconfig", "join", "demo", "http://127.0.0.1:2379", "gw2", "", "quit",
        ])
        session.fleet = fleet
        _ = session.run()
        let joined = try #require(fleet.joined)
        #expect(joined.settings.caFile == nil && joined.settings.username == nil && joined.password == nil)
        #expect(!output.text.contains("CA certificate"))
    }
}
