import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing
@testable import PosternCLI

/// The dialog steps issue 14 §6 still missed: the sender group's own policy parameters,
/// `Choose address list to enforce TLS` with addresslistconfig, and rollbackconfig SETUP.
@Suite struct AddressListTests {
    /// Sender group NEW asks `Would you like to change the policy parameters?` after the
    /// behaviour (asyncos-cli.md §2.6); Y walks §2.5 and the answers are the group's own.
    @Test func senderGroupNewChangesItsPolicyParameters() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "listenerconfig", "edit", "InboundMail", "hostaccess",
            "new", "1", "SLOW", "10.9.0.0/16", "1", "Y", "", "", "2", "", "", "", "", "", "", "", "slow senders",
            "edit", "1", "SLOW", "print", "", "", "", "",
            "commit", "slow senders", "", "quit",
        ])
        #expect(result.status == 0, "\(result.output)")
        try Golden.check("sender-group-parameters", result.output)
        let group = try #require(try t.store.load().configuration.listeners[0].hostAccess.senderGroup(named: "SLOW"))
        #expect(group.action == .behavior(.accept))
        #expect(group.overrides?.maxMessagesPerSession == 2)
        #expect(group.comment == "slow senders")
        let hat = try t.store.load().configuration.listeners[0].hostAccess
        #expect(hat.resolve(group)?.parameters.maxMessagesPerSession == 2)
        // The HAT text keeps the group's block: export, then import, gives the same table.
        #expect(try HATText.parse(HATText.render(hat), defaults: hat.defaultParameters) == hat)
    }

    /// Enter (N) keeps the group without parameters of its own; the batch form takes options.
    @Test func senderGroupParametersInBatch() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let plain = try Transcript.batch(home: t.home, "listenerconfig edit InboundMail hostaccess new sendergroup A "
                                         + "10.1.0.0/16 accept; commit a Y")
        #expect(plain.status == 0, "\(plain.output)")
        #expect(try t.store.load().configuration.listeners[0].hostAccess.senderGroup(named: "A")?.overrides == nil)
        let tuned = try Transcript.batch(home: t.home, "listenerconfig edit InboundMail hostaccess new sendergroup B "
                                         + "10.2.0.0/16 accept --max_msgs=3; commit b Y")
        #expect(tuned.status == 0, "\(tuned.output)")
        #expect(try t.store.load().configuration.listeners[0].hostAccess.senderGroup(named: "B")?.overrides?
            .maxMessagesPerSession == 3)
    }

    /// addresslistconfig NEW and PRINT; then TLS Preferred asks which list to enforce TLS for.
    @Test func tlsPreferredAsksForTheAddressList() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "addresslistconfig", "new", "PARTNERS", "bad entry", "@partner.example, ceo@, @.sub.example", "Our partners",
            "print", "",
            "listenerconfig", "edit", "InboundMail", "hostaccess", "default",
            "", "", "", "", "", "", "", "", "2", "", "", "3", "2", "", "", "", "",
            "commit", "partners must use TLS", "", "quit",
        ])
        #expect(result.status == 0, "\(result.output)")
        try Golden.check("tls-address-list", result.output)
        let configuration = try t.store.load().configuration
        #expect(configuration.addressList(named: "PARTNERS")?.entries == ["@partner.example", "ceo@", "@.sub.example"])
        let defaults = configuration.listeners[0].hostAccess.defaultParameters
        #expect(defaults.tls == .preferred)
        #expect(defaults.tlsAddressList == "PARTNERS")
    }

    /// The batch forms, showchanges in the CLI's words, and the checks: an unknown list is
    /// refused, a list in use cannot be deleted, a bad entry is refused.
    @Test func batchFormsAndValidation() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let made = try Transcript.batch(home: t.home, "addresslistconfig new VIP boss@example.com,@vip.example "
            + "--description=\"Very important\"; listenerconfig edit InboundMail hostaccess default --tls=preferred "
            + "--tls_address_list=VIP; showchanges; commit vip Y")
        #expect(made.status == 0, "\(made.output)")
        #expect(made.output.contains("Address list VIP > Addresses: boss@example.com, @vip.example (added)\n"),
                "\(made.output)")
        #expect(made.output.contains("Listener InboundMail > HAT > Default policy > TLS is Mandatory for Address List: "
            + "added VIP\n"), "\(made.output)")
        #expect(try t.store.load().configuration.listeners[0].hostAccess.defaultParameters.tlsAddressList == "VIP")

        let unknown = try Transcript.batch(home: t.home, "listenerconfig edit InboundMail hostaccess default "
                                           + "--tls=preferred --tls_address_list=NOPE")
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("not one of the choices"), "\(unknown.output)")

        let inUse = try Transcript.batch(home: t.home, "addresslistconfig delete VIP")
        #expect(inUse.status == 1)
        #expect(inUse.output.contains("The address list VIP is used by InboundMail > Default Policy Parameters"),
                "\(inUse.output)")

        let bad = try Transcript.batch(home: t.home, "addresslistconfig new BAD user@bad_domain")
        #expect(bad.status == 1)
        #expect(bad.output.contains("The email domain must be"), "\(bad.output)")
    }

    /// One validation path: a configuration naming a list that does not exist is refused by
    /// validate() (commitcheck, the engine), whichever way it came in.
    @Test func validationNamesAMissingList() {
        var configuration = FactoryDefaults.configuration
        configuration.listeners[0].hostAccess.defaultParameters.tlsAddressList = "GONE"
        configuration.addressListsValue = [AddressList(name: "bad name", entries: ["nope"])]
        let problems = configuration.validate().map(\.description)
        #expect(problems.contains {
            $0.contains("hostAccess.defaultParameters.tlsAddressList") && $0.contains("\"GONE\" does not exist")
        })
        #expect(problems.contains { $0.hasPrefix("addressLists[bad name]:") })
        #expect(problems.contains { $0.hasPrefix("addressLists[bad name].entries:") })
    }

    /// rollbackconfig SETUP: `Rollback Configuration: Enabled|Disabled`. Disabled, commit does
    /// not ask the rollback question and ROLLBACK says rollback is off; enabled again, it does.
    @Test func rollbackSetupDisablesAndEnables() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, [
            "rollbackconfig", "setup", "N", "", "",
            "commit", "rollback off",
            "suspenddel", "commit", "while off",
            "rollbackconfig", "rollback", "",
            "quit",
        ])
        #expect(result.status == 0, "\(result.output)")
        try Golden.check("rollback-setup", result.output)
        let configuration = try t.store.load().configuration
        #expect(configuration.rollbackEnabled == false)
        #expect(!(t.store.history().last?.offeredForRollback ?? true))
        let batch = try Transcript.batch(home: t.home, "rollbackconfig rollback 1 Y")
        #expect(batch.status == 1)
        #expect(batch.output.contains("Rollback Configuration is disabled"), "\(batch.output)")
        // A script's `commit "x" Y` keeps working while rollback is off; its Y has no effect.
        let scripted = try Transcript.batch(home: t.home, "resumedel; commit back Y")
        #expect(scripted.status == 0, "\(scripted.output)")
        #expect(!(t.store.history().last?.offeredForRollback ?? true))
        let enabled = try Transcript.batch(home: t.home, "rollbackconfig setup enable 5; commit on Y")
        #expect(enabled.status == 0, "\(enabled.output)")
        let after = try t.store.load()
        #expect(after.configuration.rollbackEnabled == nil)
        #expect(after.configuration.historyRetention == 5)
        #expect(after.commit.offeredForRollback)
    }
}

/// One message for an empty answer where a value is mandatory (issue 14 §6), passwords too:
/// at a prompt the question is asked again instead of the command failing.
@Suite struct EmptyPasswordTests {
    @Test func anEmptyPasswordIsAskedAgain() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, ["passwd admin", "", "Long-enough-42", "quit"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("Please enter a value.\n\nEnter the new password for admin:"), "\(result.output)")
        #expect(result.output.contains("Password changed for admin."))
    }
}
