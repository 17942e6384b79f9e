import Foundation
import Testing
@testable import PosternConfig

@Suite struct ConfigRebaseTests {
    static let base = FactoryDefaults.configuration

    @Test func editsOfDifferentSettingsBothSurvive() throws {
        var mine = Self.base
        mine.listeners[0].maxConcurrency = 77
        var theirs = Self.base
        theirs.listeners[0].port = 2626
        theirs.hostname = "mx.example.net"
        let merged = try ConfigRebase.rebase(base: Self.base, mine: mine, onto: theirs)
        #expect(merged.listeners[0].maxConcurrency == 77)
        #expect(merged.listeners[0].port == 2626)
        #expect(merged.hostname == "mx.example.net")
    }

    @Test func aListenerAddedByEachSideIsKeptByName() throws {
        var mine = Self.base
        var added = mine.listeners[0]
        added.name = "Mine"
        mine.listeners.append(added)
        var theirs = Self.base
        var other = theirs.listeners[0]
        other.name = "Theirs"
        theirs.listeners.append(other)
        let merged = try ConfigRebase.rebase(base: Self.base, mine: mine, onto: theirs)
        #expect(merged.listeners.map(\.name) == Self.base.listeners.map(\.name) + ["Theirs", "Mine"])
    }

    @Test func theSameSettingChangedByBothIsAConflictNamingItsPath() throws {
        var mine = Self.base
        mine.listeners[0].maxConcurrency = 66
        var theirs = Self.base
        theirs.listeners[0].maxConcurrency = 55
        #expect(throws: ConfigRebase.Conflicts.self) {
            try ConfigRebase.rebase(base: Self.base, mine: mine, onto: theirs)
        }
        do {
            _ = try ConfigRebase.rebase(base: Self.base, mine: mine, onto: theirs)
        } catch let conflicts as ConfigRebase.Conflicts {
            #expect(conflicts.paths == ["listeners[\(Self.base.listeners[0].name)].maxConcurrency"])
        }
    }
}
