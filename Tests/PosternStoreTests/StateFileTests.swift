import Foundation
import Testing
@testable import PosternStore

@Suite struct StateFileTests {
    /// `reports/` made by an engine whose account's own group is not the home's keeps the
    /// home's set-group-ID bit, so the report stays readable by the admins' group.
    @Test func aNewFolderKeepsTheHomesSetGroupIDBit() throws {
        let home = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("postern-state-\(UUID())")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(chmod(home.path, 0o2770) == 0)
        try StateFile.write(["a": 1], to: home.appendingPathComponent("reports/tls-hourly.json"))
        let mode = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("reports").path)[.posixPermissions]
        #expect(mode as? Int == 0o2770)
        #expect(StateFile.read([String: Int].self, from: home.appendingPathComponent("reports/tls-hourly.json")) == ["a": 1])
    }
}
