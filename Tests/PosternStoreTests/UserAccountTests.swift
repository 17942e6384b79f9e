import Foundation
import PosternConfig
import PosternStore
import PosternTestSupport
import Testing

@Suite struct UserAccountTests {
    @Test func yescryptHashesVerifyTheirPasswordOnly() throws {
        let hash = try PasswordHash.make("Correct-horse-1")
        #expect(hash.hasPrefix("$y$"))
        #expect(PasswordHash.verify("Correct-horse-1", hash: hash))
        #expect(!PasswordHash.verify("Correct-horse-2", hash: hash))
        // A fresh salt each time: the same password never hashes the same.
        #expect(try PasswordHash.make("Correct-horse-1") != hash)
    }

    @Test(arguments: [
        ("short", "at least 8"),
        ("web1-secret-pw", "user name"),
        (String(repeating: "x", count: 129), "at most 128"),
    ])
    func thePolicyRefuses(password: String, reason: String) {
        #expect(PasswordPolicy.problem(password, user: "web1")?.contains(reason) == true)
    }

    @Test func aHomeStartsWithAnAdminThatCannotLogIn() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let users = UserStore(home: t.home)
        let admin = try #require(try users.load().first)
        #expect(admin.name == "admin" && admin.role == .administrator && admin.passwordHash == nil)
        #expect(users.authenticate("admin", password: "") == nil)
        #expect(users.authenticate("admin", password: "anything-at-all") == nil)
    }

    @Test func aPasswordTakesEffectWhenCommittedAndIsStoredPrivately() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let users = UserStore(home: t.home)
        var configuration = try t.store.load().configuration
        #expect(throws: StoreError.self) { try configuration.setPassword("admin-password", for: "admin") }
        try configuration.setPassword("Sesame-open-1", for: "admin")
        // Staged only: the committed accounts do not have it yet.
        #expect(users.authenticate("admin", password: "Sesame-open-1") == nil)
        let staged = configuration
        try t.commit { $0 = staged }
        #expect(users.authenticate("admin", password: "Sesame-open-1")?.role == .administrator)
        #expect(users.authenticate("admin", password: "Sesame-open-2") == nil)
        for file in [t.home.currentFile, t.home.historyFile(2)] {
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == Int(Home.privateKeyMode))
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(!text.contains("Sesame") && text.contains("$y$"))
        }
    }

    @Test func anOldUsersFileIsReadUntilTheAccountsAreCommitted() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let hash = try PasswordHash.make("Legacy-pass-7")
        let legacy = #"{"users":[{"fullName":"Administrator","name":"admin","role":"administrator"},"#
            + #"{"fullName":"Web One","name":"web1","passwordHash":"\#(hash)","role":"operator"}]}"#
        try Data(legacy.utf8).write(to: t.home.usersFile)
        let users = UserStore(home: t.home)
        #expect(users.authenticate("web1", password: "Legacy-pass-7")?.role == .operator)
        #expect(try t.store.load().configuration.users?.map(\.name) == ["admin", "web1"])
        // The next commit writes the accounts into the generation; the old file no longer decides.
        try t.commit { $0.hostname = "mail2.example.com" }
        try FileManager.default.removeItem(at: t.home.usersFile)
        #expect(users.authenticate("web1", password: "Legacy-pass-7")?.fullName == "Web One")
    }

    @Test func aDamagedOldUsersFileIsNamed() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        try Data("{not json".utf8).write(to: t.home.usersFile)
        #expect(throws: StoreError.self) { try UserStore(home: t.home).load() }
    }

    @Test func showchangesNamesAccountsButNeverTheHash() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let before = try t.store.load().configuration
        var after = before
        after.accounts.append(UserAccount(name: "web1", fullName: "Web One", role: .readOnlyOperator,
                                          passwordHash: try PasswordHash.make("Sesame-open-1")))
        try after.setPassword("Sesame-open-2", for: "admin")
        let words = ChangeWords.render(ConfigDiff.changes(from: before, to: after))
        #expect(words.contains("User web1 > Role: Read-Only Operators (added)"), "\(words)")
        #expect(words.contains("User web1 > Password: set (added)"), "\(words)")
        #expect(words.contains("User admin > Password: set"), "\(words)")
        #expect(!words.contains("$y$"), "\(words)")
        var removed = after
        removed.accounts.removeAll { $0.name == "web1" }
        #expect(ChangeWords.render(ConfigDiff.changes(from: after, to: removed)) == "User web1: deleted")
    }

    @Test func roleWordsAreAsTheCLITakesThem() {
        #expect(UserRole(word: "administrator") == .administrator)
        #expect(UserRole(word: "Read-Only Operators") == .readOnlyOperator)
        #expect(UserRole(word: "readonly") == .readOnlyOperator)
        #expect(UserRole(word: "root") == nil)
        #expect(!UserRole.readOnlyOperator.mayCommit && UserRole.readOnlyOperator.seesConfiguration)
        #expect(!UserRole.guest.seesConfiguration)
    }
}
