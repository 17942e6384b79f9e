import Foundation
import Testing
@testable import PosternConfig

/// showchanges and commitdetail in the admin's words (issue 14, section 7).
@Suite struct ChangeWordsTests {
    static func words(_ change: (inout Configuration) -> Void) -> [String] {
        var new = FactoryDefaults.configuration
        change(&new)
        return ChangeWords.lines(ConfigDiff.changes(from: FactoryDefaults.configuration, to: new))
    }

    @Test func aSettingIsOneLineInTheCLIsNames() {
        #expect(Self.words { $0.listeners[0].hostAccess.defaultParameters.requireTLSForAuth = true }
            == ["Listener InboundMail > HAT > Default policy > Require TLS To Offer SMTP authentication: No -> Yes"])
        #expect(Self.words { $0.ssl.inbound.ciphers = "HIGH:!aNULL" }
            == ["sslconfig > Inbound SMTP > Ciphers: MEDIUM:HIGH:-SSLv2:-aNULL:!RC4:@STRENGTH:-EXPORT -> HIGH:!aNULL"])
        #expect(Self.words { $0.listeners[0].maxConcurrency = 500 } == ["Listener InboundMail > Max Concurrency: 1000 -> 500"])
    }

    /// A configuration without accounts (every generation written before they were stored)
    /// has the factory admin: editing it is a change to that admin, nothing "added".
    @Test func theFirstAccountEditChangesTheFactoryAdmin() {
        #expect(FactoryDefaults.configuration.users == nil)
        let lines = Self.words { $0.accounts = [UserAccount(name: "admin", fullName: "Boss", role: .administrator)] }
        #expect(lines.count == 1 && lines.first?.contains("Administrator -> Boss") == true, "\(lines)")
    }

    @Test func aDeletedListenerIsOneShortLine() {
        let lines = Self.words { $0.listeners.removeAll() }
        #expect(lines == ["Listener InboundMail: deleted"])
    }

    @Test func anAddedItemIsOneLinePerSetting() throws {
        let lines = Self.words {
            $0.listeners[0].hostAccess.senderGroups.insert(
                SenderGroup(name: "PARTNERS", entries: [try! SenderEntry(parsing: "10.1.1.0/24")], action: .policy("TRUSTED")),
                at: 4)
        }
        #expect(lines.contains("Listener InboundMail > HAT > Sender group PARTNERS > Hosts: 10.1.1.0/24 (added)"), "\(lines)")
        #expect(lines.allSatisfy { $0.count < 200 && !$0.contains("{") }, "\(lines)")
    }

    @Test func orderChangesShow() {
        let lines = Self.words { $0.listeners[0].hostAccess.senderGroups.swapAt(0, 1) }
        #expect(lines == ["Listener InboundMail > HAT > Sender groups: order WHITELIST, BLACKLIST, SUSPECTLIST, "
            + "UNKNOWNLIST -> BLACKLIST, WHITELIST, SUSPECTLIST, UNKNOWNLIST"])
    }

    @Test func ratEntriesAreMatchedByAddress() throws {
        let lines = Self.words {
            $0.listeners[0].recipientAccess?.entries.insert(
                RecipientAccessEntry(pattern: try! RecipientPattern(parsing: "gone@example.com"), action: .reject), at: 0)
        }
        #expect(lines.contains("Listener InboundMail > RAT > Entry gone@example.com > Action: REJECT (added)"), "\(lines)")
    }
}
