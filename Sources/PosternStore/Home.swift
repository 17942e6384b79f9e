import Foundation

/// The appliance home and its layout (DESIGN.md, "The two processes"). Both processes
/// find everything from here.
public struct Home: Sendable, Hashable {
    public let root: URL

    public init(_ path: String) {
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    /// `--home`, else `POSTERN_HOME`, else the login's `$HOME` when it is an appliance home
    /// (admin accounts made by scripts/admin-user have the appliance home as their home),
    /// else the installed appliance's `/var/lib/postern`.
    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Home
    {
        if let explicit, !explicit.isEmpty { return Home(explicit) }
        if let env = environment["POSTERN_HOME"], !env.isEmpty { return Home(env) }
        if let login = environment["HOME"], !login.isEmpty,
            FileManager.default.fileExists(atPath: Home(login).currentFile.path)
        {
            return Home(login)
        }
        return Home("/var/lib/postern")
    }

    /// Private keys: readable by the owner and the appliance's group, inside `certs/`, which
    /// only that group may enter.
    public static let privateKeyMode: mode_t = 0o640

    /// One file per running CLI session (`who`).
    public var sessionsDirectory: URL { runDirectory.appendingPathComponent("sessions", isDirectory: true) }
    /// Per-admin command history for libedit.
    public var cliHistoryDirectory: URL { root.appendingPathComponent("cli-history", isDirectory: true) }

    public var configDirectory: URL { root.appendingPathComponent("config", isDirectory: true) }
    public var currentFile: URL { configDirectory.appendingPathComponent("current.json") }
    public var historyDirectory: URL { configDirectory.appendingPathComponent("history", isDirectory: true) }
    /// The admin accounts (`userconfig`), with their password hashes: mode 0640 like a key.
    public var usersFile: URL { configDirectory.appendingPathComponent("users.json") }
    public var commitsLog: URL { configDirectory.appendingPathComponent("commits.log") }
    public var lockFile: URL { configDirectory.appendingPathComponent("lock") }
    public var certsDirectory: URL { root.appendingPathComponent("certs", isDirectory: true) }
    /// The engine's TLS state that must outlive a restart but is no configuration.
    public var tlsDirectory: URL { root.appendingPathComponent("tls", isDirectory: true) }
    /// The session-ticket keys (mode 0600): `TicketKeyFile`.
    public var ticketKeysFile: URL { tlsDirectory.appendingPathComponent("session-ticket-keys") }
    public var runDirectory: URL { root.appendingPathComponent("run", isDirectory: true) }
    public var pidFile: URL { runDirectory.appendingPathComponent("posternd.pid") }
    public var statusFile: URL { runDirectory.appendingPathComponent("status.json") }
    public var queueDirectory: URL { root.appendingPathComponent("queue", isDirectory: true) }
    public var logsDirectory: URL { root.appendingPathComponent("logs", isDirectory: true) }
    public var mailLog: URL { logsDirectory.appendingPathComponent("mail.log") }
    public var cliLog: URL { logsDirectory.appendingPathComponent("cli.log") }
    public var engineLog: URL { logsDirectory.appendingPathComponent("posternd.log") }

    public func historyFile(_ generation: Int) -> URL {
        historyDirectory.appendingPathComponent("\(generation).json")
    }

    /// A file of a certificate profile; names are relative to `certs/`.
    public func certificateFile(_ name: String) -> URL {
        certsDirectory.appendingPathComponent(name)
    }
}
