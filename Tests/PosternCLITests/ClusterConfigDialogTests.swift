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
    var overrides: [String: MachineOverrides] = [:]
    func view(home: Home) throws(StoreError) -> FleetView {
        guard let settings = FleetSettings.load(home) else { throw StoreError.io("not in a fleet") }
        return FleetView(settings: settings, current: nil, currentMachine: nil, members: [], overrides: overrides)
    }
    func commit(home: Home, configuration: Configuration, base: Int, user: String, source: String, comment: String,
                check: (Configuration) -> [ConfigProblem]) throws(StoreError) -> CommitRecord {
        throw StoreError.io("not in this test")
    }
    var setOverrides: (machine: String, overrides: MachineOverrides)?
    func setOverrides(home: Home, machine: String, overrides: MachineOverrides, user: String, source: String)
        throws(StoreError) -> CommitRecord {
        setOverrides = (machine, overrides)
        return CommitRecord(generation: 8, parent: 7, time: Date(), user: user, source: source, comment: "")
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

    @Test func machinesShowsEachMachineLevelAndEditsAnotherMachinesListenerAddress() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try FleetSettings(fleet: "demo", machine: "gw1", endpoints: ["http://127.0.0.1:1"]).save(t.home)
        let fleet = RecordingFleet()
        let mine = MachineOverrides(of: try t.store.load().configuration)
        var gw2 = mine
        gw2.hostname = "gw2.example.com"
        fleet.overrides = ["gw1": mine, "gw2": gw2]
        let listener = try #require(mine.listeners.keys.sorted().first)
        let interface = mine.listeners[listener]!.interface
        let (session, output) = try Self.session(t, [
            "clusterconfig", "machines", "edit", "gw3", "gw2", "", "", "70000", "2700", "quit",
        ])
        session.fleet = fleet
        _ = session.run()
        #expect(output.text.contains("Settings at the machine level (they override the cluster level):"))
        #expect(output.text.contains("  gw2 (machine level): hostname gw2.example.com"))
        #expect(output.text.contains("    listener \(listener): interface \(interface), port \(mine.listeners[listener]!.port)"))
        #expect(output.text.contains("The machines of this fleet are: gw1, gw2."))
        #expect(output.text.contains("Value must be between 1 and 65535."))
        let set = try #require(fleet.setOverrides)
        #expect(set.machine == "gw2")
        #expect(set.overrides.hostname == "gw2.example.com")
        #expect(set.overrides.listeners[listener]?.port == 2700)
        #expect(set.overrides.listeners[listener]?.interface == interface)
        #expect(output.text.contains("The machine level settings of gw2 were committed as generation 8."))
    }
}
