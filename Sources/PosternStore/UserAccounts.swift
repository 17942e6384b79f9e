import Foundation
import PosternConfig
import PosternSpool
import Synchronization

/// The committed accounts (`userconfig`), as the web interface's login and session checks
/// read them. Accounts are part of the configuration: a change is staged in the session and
/// takes effect at `commit`. `config/users.json` is the file accounts lived in before; it is
/// read, never written, for a configuration that does not carry accounts yet.
public struct UserStore: Sendable {
    public let home: Home

    public init(home: Home) { self.home = home }

    private struct File: Codable { var users: [UserAccount] }

    /// The accounts of the committed generation; a home with none has the factory `admin`.
    /// The web interface asks at every request: the accounts are kept while the files they
    /// come from are the same (a commit replaces current.json by rename: a new inode).
    public func load() throws(StoreError) -> [UserAccount] {
        let key = [home.currentFile.path, home.usersFile.path].map(Self.identity).joined(separator: "|")
        if let cached = Self.cache.withLock({ $0[home.root.path] }), cached.key == key { return cached.accounts }
        let accounts: [UserAccount]
        do {
            accounts = try ConfigStore(home: home).load().configuration.accounts
        } catch .missing {
            accounts = try legacyAccounts() ?? [UserAccount.factoryAccount]
        }
        Self.cache.withLock { $0[home.root.path] = (key, accounts) }
        return accounts
    }

    private static let cache = Mutex<[String: (key: String, accounts: [UserAccount])]>([:])

    /// Device, inode, size and modification time of a file, or `-` when there is none.
    private static func identity(_ path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return "-" }
        return "\(info.st_dev):\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// The accounts of `config/users.json`, written by a Postern that kept accounts outside
    /// the configuration; nil when there is no such file.
    public func legacyAccounts() throws(StoreError) -> [UserAccount]? {
        let url = home.usersFile
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try CanonicalJSON.decode(File.self, from: data).users
        } catch {
            throw StoreError.unreadable(url.path, ConfigProblems([]))
        }
    }

    public func account(named name: String) -> UserAccount? {
        (try? load())?.first { $0.name == name }
    }

    /// The account when `password` is its committed password, else nil.
    public func authenticate(_ name: String, password: String) -> UserAccount? {
        guard let account = account(named: name), let hash = account.passwordHash,
            PasswordHash.verify(password, hash: hash)
        else { return nil }
        return account
    }
}

extension Configuration {
    /// Sets `name`'s password hash after checking the password against the policy.
    public mutating func setPassword(_ password: String, for name: String) throws(StoreError) {
        if let problem = PasswordPolicy.problem(password, user: name) { throw StoreError.refused(problem) }
        guard let index = accounts.firstIndex(where: { $0.name == name }) else {
            throw StoreError.refused("The user \"\(name)\" does not exist.")
        }
        accounts[index].passwordHash = try PasswordHash.make(password)
    }
}
