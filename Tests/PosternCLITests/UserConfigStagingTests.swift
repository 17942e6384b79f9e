import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing

/// `userconfig` changes are staged like every other change and take effect at `commit`;
/// `clear` drops them; `passwd` takes effect at once (AsyncOS) without taking the session's
/// pending changes with it.
@Suite struct UserConfigStagingTests {
    private static let newWeb1 = ["userconfig", "new", "web1", "Web One", "1", "Long-enough-42", ""]

    @Test func aNewAccountTakesEffectAtCommit() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let users = UserStore(home: t.home)
        var beforeCommit: UserAccount?
        let result = try Transcript.run(
            home: t.home, Self.newWeb1 + ["!check", "commit", "add web1", "", "quit"],
            hook: { line in
                guard line == "!check" else { return false }
                beforeCommit = users.account(named: "web1")
                return true
            })
        #expect(result.status == 0, "\(result.output)")
        #expect(beforeCommit == nil, "a staged account must not be in effect")
        #expect(users.authenticate("web1", password: "Long-enough-42")?.role == .administrator, "\(result.output)")
        #expect(try t.store.currentCommit().comment == "add web1")
    }

    @Test func clearDropsAStagedAccount() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, Self.newWeb1 + ["showchanges", "clear", "Y", "quit"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("User web1 > Role: Administrators (added)"), "\(result.output)")
        #expect(result.output.contains("User web1 > Full name: Web One (added)"), "\(result.output)")
        #expect(!result.output.contains("$y$"), "\(result.output)")
        #expect(result.output.contains("Changes cleared."), "\(result.output)")
        #expect(UserStore(home: t.home).account(named: "web1") == nil)
        #expect(try t.store.currentCommit().generation == 1)
    }

    @Test func passwdIsImmediateAndKeepsTheSessionsPendingChanges() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let users = UserStore(home: t.home)
        var adminAtOnce: UserAccount?
        var web1AtOnce: UserAccount?
        let result = try Transcript.run(
            home: t.home, Self.newWeb1 + ["passwd admin", "Other-secret-9", "!check", "commit", "add web1", "", "quit"],
            hook: { line in
                guard line == "!check" else { return false }
                adminAtOnce = users.authenticate("admin", password: "Other-secret-9")
                web1AtOnce = users.account(named: "web1")
                return true
            })
        #expect(result.status == 0, "\(result.output)")
        #expect(adminAtOnce != nil, "passwd takes effect without commit")
        #expect(web1AtOnce == nil, "passwd does not commit the session's other changes")
        // The later commit of web1 keeps the new admin password.
        #expect(users.authenticate("admin", password: "Other-secret-9") != nil)
        #expect(users.authenticate("web1", password: "Long-enough-42") != nil)
        #expect(try t.store.currentCommit().generation == 3)
        #expect(try t.store.load(generation: 2).commit.comment == "passwd: password changed for admin")
    }

    @Test func passwdNamesAnAccountThatIsOnlyStaged() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let result = try Transcript.run(home: t.home, Self.newWeb1 + ["passwd web1", "clear", "Y", "quit"])
        #expect(result.output.contains("The user \"web1\" is not committed yet"), "\(result.output)")
        #expect(UserStore(home: t.home).account(named: "web1") == nil)
    }

    @Test func rollbackRestoresTheAccountsOfThatGeneration() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let hash = try PasswordHash.make("Long-enough-42")
        try t.commit { $0.accounts.append(UserAccount(name: "web1", fullName: "Web One", role: .operator, passwordHash: hash)) }
        try t.commit { $0.accounts.removeAll { $0.name == "web1" } }
        #expect(UserStore(home: t.home).account(named: "web1") == nil)
        let result = try Transcript.run(home: t.home, ["rollbackconfig", "rollback", "2", "Y", "", "commit", "back", "", "quit"])
        #expect(result.status == 0, "\(result.output)")
        #expect(UserStore(home: t.home).authenticate("web1", password: "Long-enough-42") != nil, "\(result.output)")
    }
}
