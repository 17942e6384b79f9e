import Foundation

/// The appliance home and its layout (DESIGN.md, "The two processes"). Both processes
/// find everything from here.
public struct Home: Sendable, Hashable {
    public let root: URL

    public init(_ path: String) {
        root = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    /// `--home`, else `POSTERN_HOME`, else the installed appliance's `/var/lib/postern`.
    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> Home
    {
        if let explicit, !explicit.isEmpty { return Home(explicit) }
        if let env = environment["POSTERN_HOME"], !env.isEmpty { return Home(env) }
        return Home("/var/lib/postern")
    }

    public var configDirectory: URL { root.appendingPathComponent("config", isDirectory: true) }
    public var currentFile: URL { configDirectory.appendingPathComponent("current.json") }
    public var historyDirectory: URL { configDirectory.appendingPathComponent("history", isDirectory: true) }
    public var commitsLog: URL { configDirectory.appendingPathComponent("commits.log") }
    public var lockFile: URL { configDirectory.appendingPathComponent("lock") }
    public var certsDirectory: URL { root.appendingPathComponent("certs", isDirectory: true) }
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
