import Foundation
import PosternConfig
import PosternSpool

extension ConfigStore {
    /// Makes a generation committed elsewhere (in the fleet) this machine's current one, with
    /// the same durable write as a local commit; the engine applies it as it applies any commit.
    /// Returns false when it is already the current generation.
    @discardableResult
    public func adopt(_ document: ConfigDocument) throws(StoreError) -> Bool {
        try withLock { () throws(StoreError) -> Bool in
            if let current = try? load(), current == document { return false }
            try write(document)
            return true
        }
    }

    /// On JOIN, when the fleet's numbering would overwrite this machine's own history: the
    /// standalone history moves to `config/standalone-<time>/`, kept, and the fleet's starts afresh.
    public func archiveHistory(now: Date = Date()) throws(StoreError) -> URL {
        try withLock { () throws(StoreError) -> URL in
            let stamp = Int(now.timeIntervalSince1970)
            let archive = home.configDirectory.appendingPathComponent("standalone-\(stamp)", isDirectory: true)
            do {
                try FileManager.default.moveItem(at: home.historyDirectory, to: archive)
                if FileManager.default.fileExists(atPath: home.commitsLog.path) {
                    try FileManager.default.moveItem(at: home.commitsLog, to: archive.appendingPathComponent("commits.log"))
                }
                try FileManager.default.createDirectory(at: home.historyDirectory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o770])
            } catch {
                throw StoreError.io("cannot keep the standalone history in \(archive.path): \(error.localizedDescription)")
            }
            return archive
        }
    }
}

/// This machine's membership of a fleet: `fleet/settings.json` under the home; the etcd
/// password is apart in `fleet/credentials` with the private keys' permissions.
public struct FleetSettings: Codable, Hashable, Sendable {
    public var fleet: String
    /// This machine's name in the fleet (default: the hostname of the configuration).
    public var machine: String
    public var endpoints: [String]
    /// PEM files under `fleet/`, when etcd speaks TLS.
    public var caFile: String?
    public var certificateFile: String?
    public var keyFile: String?
    public var username: String?

    public init(fleet: String, machine: String, endpoints: [String]) {
        self.fleet = fleet
        self.machine = machine
        self.endpoints = endpoints
    }

    public static func directory(_ home: Home) -> URL { home.root.appendingPathComponent("fleet", isDirectory: true) }
    static func file(_ home: Home) -> URL { directory(home).appendingPathComponent("settings.json") }
    static func credentialsFile(_ home: Home) -> URL { directory(home).appendingPathComponent("credentials") }

    /// Nil when the machine is standalone.
    public static func load(_ home: Home) -> FleetSettings? {
        guard let data = FileManager.default.contents(atPath: file(home).path) else { return nil }
        return try? CanonicalJSON.decode(FleetSettings.self, from: data)
    }

    /// The etcd password, read from its own file; never part of the settings or a log line.
    public static func password(_ home: Home) -> String? {
        guard let data = FileManager.default.contents(atPath: credentialsFile(home).path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        return text.isEmpty ? nil : text
    }

    public func save(_ home: Home, password: String? = nil) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(at: Self.directory(home), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o770])
            try DurableFile.write(try CanonicalJSON.encode(self), to: Self.file(home), mode: 0o660)
            if let password {
                try DurableFile.write(Data(password.utf8), to: Self.credentialsFile(home), mode: Home.privateKeyMode)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.io("cannot write \(Self.file(home).path): \(error)")
        }
    }

    /// LEAVE: the machine is standalone again and keeps the configuration it last applied.
    public static func remove(_ home: Home) {
        try? FileManager.default.removeItem(at: file(home))
        try? FileManager.default.removeItem(at: credentialsFile(home))
    }
}

extension ConfigStore {
    /// A generation of the fleet's history that this machine did not adopt (committed while its
    /// engine was down, or before it joined): written to `config/history/` only, never made
    /// current, so showchanges, commitdetail and rollbackconfig see it. A file already there is
    /// kept (history is never rewritten). Returns whether it wrote.
    @discardableResult
    public func recordHistory(_ document: ConfigDocument) throws(StoreError) -> Bool {
        try withLock { () throws(StoreError) -> Bool in
            let url = home.historyFile(document.commit.generation)
            if FileManager.default.fileExists(atPath: url.path) { return false }
            do {
                try DurableFile.write(try CanonicalJSON.encode(document), to: url, mode: Home.privateKeyMode, files: files)
            } catch {
                throw StoreError.io("cannot write \(url.lastPathComponent) to the history: \(error)")
            }
            return true
        }
    }
}
