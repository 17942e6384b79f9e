import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// `commitcheck` refuses what a fleet's `commit` would: a configuration too large for one etcd value.
@Suite struct FleetSizeCheckTests {
    /// 60,000 single-address entries: about 1.3 MB of JSON, under nothing standalone, too much for a fleet.
    static func bigTable(_ configuration: inout Configuration) {
        let entries = (0..<60_000).map { index in
            try! SenderEntry(parsing: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)")
        }
        configuration.listeners[0].hostAccess.senderGroups.insert(
            SenderGroup(name: "BIG", entries: entries, action: .policy("BLOCKED")), at: 0)
    }

    @Test func commitcheckInAFleetRefusesAGenerationTooLargeForEtcd() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try t.commit(checked: false, Self.bigTable)
        var result = try Transcript.batch(home: t.home, "commitcheck")
        #expect(result.output.hasPrefix("The configuration is valid."), "\(result.output)")  // standalone: no limit

        try FleetSettings(fleet: "f", machine: "gw1", endpoints: ["http://127.0.0.1:1"]).save(t.home)
        result = try Transcript.batch(home: t.home, "commitcheck")
        #expect(!result.output.contains("The configuration is valid."))
        #expect(result.output.contains("configuration: The configuration is "), "\(result.output)")
        #expect(result.output.contains("at most 1000000 bytes"))
    }

    /// A commit's txn carries the certificate files too: a small configuration whose files are
    /// too large is refused by `commitcheck`, as `commit` refuses it.
    @Test func commitcheckCountsTheCertificateFilesACommitCarries() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try FleetSettings(fleet: "f", machine: "gw1", endpoints: ["http://127.0.0.1:1"]).save(t.home)
        let profile = try #require(try t.store.load().configuration.certificates.first)
        try Data(repeating: 0x41, count: 1_100_000).write(to: t.home.certificateFile(profile.certificateFile))
        let result = try Transcript.batch(home: t.home, "commitcheck")
        #expect(result.output.contains("configuration: The configuration is "), "\(result.output)")
    }
}
