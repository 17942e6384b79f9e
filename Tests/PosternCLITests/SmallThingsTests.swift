import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// Smaller things a new user hit (issue 14, section 8).
@Suite struct SmallThingsTests {
    @Test func helpListsTheCommandsInAlphabeticalOrder() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.batch(home: t.home, "help")
        let names = result.output.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(names == names.sorted())
        #expect(names.count == CommandTable.all.count)
    }

    @Test func countsAgreeWithTheirNouns() {
        #expect(Formatting.count(1, "recipient") == "1 recipient")
        #expect(Formatting.count(0, "recipient") == "0 recipients")
        #expect(Formatting.count(2, "session") == "2 sessions")
    }

    /// `PARTNERS` and `partners` are one name to every picker, so they cannot coexist.
    @Test func namesDifferingOnlyInCaseAreRefused() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let group = try Transcript.batch(home: t.home, "listenerconfig edit InboundMail hostaccess new sendergroup "
                                         + "whitelist 10.0.0.1 accept")
        #expect(group.status == 1)
        #expect(group.output.contains("already in use (as \"WHITELIST\")"), "\(group.output)")
        let listener = try Transcript.batch(home: t.home, "listenerconfig new inboundmail public Loopback smtp --port=2600")
        #expect(listener.status == 1)
        var configuration = FactoryDefaults.configuration
        configuration.listeners[0].hostAccess.senderGroups[0].name = "blacklist"
        #expect(configuration.validate().contains { $0.message.contains("names ignore case") })
    }

    @Test func theNameLimitIsStated() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let long = String(repeating: "a", count: 65)
        let result = try Transcript.batch(home: t.home, "listenerconfig new \(long) public Loopback smtp --port=2600")
        #expect(result.status == 1)
        #expect(result.output.contains("1 to 64 letters"), "\(result.output)")
    }
}
