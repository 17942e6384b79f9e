import Foundation
import PosternConfig
import PosternStore

/// The CLI sessions running now (`who`): one small file per session in `run/sessions/`,
/// written when the session starts and removed when it ends. A file whose process is gone
/// (a session killed outright) is ignored and removed by the next listing.
public struct AdminSession: Codable, Hashable, Sendable {
    public var pid: Int32
    public var user: String
    public var source: String
    public var since: Date
    /// `terminal`, `pipe` or `batch`.
    public var kind: String

    public init(pid: Int32, user: String, source: String, since: Date, kind: String) {
        self.pid = pid
        self.user = user
        self.source = source
        self.since = since
        self.kind = kind
    }
}

public enum AdminSessions {
    static func file(_ home: Home, _ pid: Int32) -> URL {
        home.sessionsDirectory.appendingPathComponent("\(pid).json")
    }

    public static func register(_ session: AdminSession, home: Home) {
        try? FileManager.default.createDirectory(at: home.sessionsDirectory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o770])
        if let data = try? JSONCoding.compact.encode(session) { try? data.write(to: file(home, session.pid)) }
    }

    public static func unregister(pid: Int32, home: Home) {
        unlink(file(home, pid).path)
    }

    /// The sessions whose process still runs, oldest first.
    public static func list(_ home: Home) -> [AdminSession] {
        let decoder = JSONCoding.decoder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: home.sessionsDirectory.path)) ?? []
        var live: [AdminSession] = []
        for name in names where name.hasSuffix(".json") {
            let url = home.sessionsDirectory.appendingPathComponent(name)
            guard let data = try? Data(contentsOf: url), let session = try? decoder.decode(AdminSession.self, from: data)
            else { continue }
            if kill(session.pid, 0) == 0 || errno == EPERM {
                live.append(session)
            } else {
                unlink(url.path)
            }
        }
        return live.sorted { $0.since < $1.since }
    }
}
