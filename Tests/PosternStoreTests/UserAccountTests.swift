import Foundation
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

    @Test func aPasswordSetIsStoredPrivatelyAndAuthenticates() throws {
        let t = try TemporaryHome()
        defer { t.remove() }
        let users = UserStore(home: t.home)
        #expect(throws: StoreError.self) { try users.setPassword("admin-password", for: "admin") }
        try users.setPassword("Sesame-open-1", for: "admin")
        #expect(users.authenticate("admin", password: "Sesame-open-1")?.role == .administrator)
        #expect(users.authenticate("admin", password: "Sesame-open-2") == nil)
        let mode = try FileManager.default.attributesOfItem(atPath: t.home.usersFile.path)[.posixPermissions] as? Int
        #expect(mode == Int(Home.privateKeyMode))
        let text = try String(contentsOf: t.home.usersFile, encoding: .utf8)
        #expect(!text.contains("Sesame"))
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
