import Foundation
import PosternConfig
import PosternSpool
import PosternStore

/// What the engine reports in `run/status.json`: the generation it serves, how the last
/// reload went, its listeners and counters. The engine writes it; the CLI reads it.
public struct EngineStatus: Codable, Sendable, Hashable {
    public var pid: Int32
    public var startedAt: Date
    public var updatedAt: Date
    /// The generation being served.
    public var generation: Int
    public var appliedAt: Date
    public var lastReload: ReloadReport?
    public var listeners: [ListenerStatus]
    public var counters: Counters
    /// Open sessions per generation they were accepted under (the drain report).
    public var sessionsByGeneration: [String: Int]
    /// When the last session of an older generation ended.
    public var drainedAt: [String: Date]
    /// A `commit confirmed` waiting for its confirmation.
    public var confirmation: ConfirmWindow?
    /// The last rollback the engine made because a commit was not confirmed.
    public var automaticRollback: AutomaticRollback?
    /// The engine applies a new `current.json` by itself (inotify), so a commit need not
    /// signal it. Absent in files from engines that did not say.
    public var watchesConfiguration: Bool?
    /// What the spool's recovery found at start.
    public var spoolRecovery: SpoolRecovery?

    public struct SpoolRecovery: Codable, Sendable, Hashable {
        public var messages: Int
        /// A torn tail a crash left (never acknowledged).
        public var discardedBytes: Int
        /// What followed damage on disk, kept under queue/quarantine/ (it may hold acknowledged mail).
        public var quarantinedBytes: Int
        public var quarantineFiles: [String]

        public init(messages: Int, discardedBytes: Int, quarantinedBytes: Int, quarantineFiles: [String]) {
            self.messages = messages
            self.discardedBytes = discardedBytes
            self.quarantinedBytes = quarantinedBytes
            self.quarantineFiles = quarantineFiles
        }
    }

    public struct AutomaticRollback: Codable, Sendable, Hashable {
        /// The generation that was not confirmed, the one restored, and the new generation holding it.
        public var unconfirmed: Int
        public var restored: Int
        public var generation: Int
        public var at: Date

        public init(unconfirmed: Int, restored: Int, generation: Int, at: Date) {
            self.unconfirmed = unconfirmed
            self.restored = restored
            self.generation = generation
            self.at = at
        }
    }

    public init(pid: Int32, startedAt: Date, generation: Int) {
        self.pid = pid
        self.startedAt = startedAt
        self.updatedAt = startedAt
        self.generation = generation
        self.appliedAt = startedAt
        self.lastReload = nil
        self.listeners = []
        self.counters = Counters()
        self.sessionsByGeneration = [:]
        self.drainedAt = [:]
    }

    public struct ReloadReport: Codable, Sendable, Hashable {
        public enum Outcome: String, Codable, Sendable {
            case applied
            case rejected
        }

        /// The generation the reload read.
        public var generation: Int
        public var outcome: Outcome
        public var problems: [String]
        public var at: Date

        public init(generation: Int, outcome: Outcome, problems: [String], at: Date) {
            self.generation = generation
            self.outcome = outcome
            self.problems = problems
            self.at = at
        }
    }

    public struct ListenerStatus: Codable, Sendable, Hashable {
        public enum State: String, Codable, Sendable {
            case listening
            case failed
        }

        public var name: String
        public var address: String
        public var port: Int
        public var state: State
        public var error: String?

        public init(name: String, address: String, port: Int, state: State, error: String? = nil) {
            self.name = name
            self.address = address
            self.port = port
            self.state = state
            self.error = error
        }
    }

    public struct Counters: Codable, Sendable, Hashable {
        public var connectionsAccepted = 0
        public var connectionsRefused = 0
        public var connectionsOpen = 0
        public var tlsSessions = 0
        /// Failed handshakes (a session that lacks the certificate its policy demands too).
        public var tlsFailures = 0
        /// TLS errors after a completed handshake.
        public var tlsErrors = 0
        /// Clients that closed the connection during TLS without close_notify.
        public var tlsUncleanCloses = 0
        public var messagesAccepted = 0
        public var recipientsAccepted = 0
        /// Refused by the RAT or by a policy's recipients-per-hour limit.
        public var recipientsRejected = 0
        /// Connections refused for lack of file descriptors: past the engine's descriptor
        /// budget, or failed in `accept` (EMFILE, ENFILE).
        public var connectionsRefusedForDescriptors = 0
        /// SMTP AUTH attempts that succeeded and that failed (wrong credentials; not `454`s).
        public var authSuccesses = 0
        public var authFailures = 0
        /// TLS connections by `TLSReport.Key.name` (direction, TLS level, outcome), for the
        /// hourly report.
        public var tlsByLevel: [String: Int] = [:]

        public init() {}

        /// Counters an older engine did not write read as 0, so a status file from before an
        /// upgrade still reads.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func value(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
            connectionsAccepted = try value(.connectionsAccepted)
            connectionsRefused = try value(.connectionsRefused)
            connectionsOpen = try value(.connectionsOpen)
            tlsSessions = try value(.tlsSessions)
            tlsFailures = try value(.tlsFailures)
            tlsErrors = try value(.tlsErrors)
            tlsUncleanCloses = try value(.tlsUncleanCloses)
            messagesAccepted = try value(.messagesAccepted)
            recipientsAccepted = try value(.recipientsAccepted)
            recipientsRejected = try value(.recipientsRejected)
            connectionsRefusedForDescriptors = try value(.connectionsRefusedForDescriptors)
            authSuccesses = try value(.authSuccesses)
            authFailures = try value(.authFailures)
            tlsByLevel = try c.decodeIfPresent([String: Int].self, forKey: .tlsByLevel) ?? [:]
        }
    }

    public static func read(_ home: Home) -> EngineStatus? {
        guard let data = try? Data(contentsOf: home.statusFile) else { return nil }
        return try? JSONCoding.decoder.decode(EngineStatus.self, from: data)
    }

    /// Replaces the status file by rename, so a reader never sees half of it. No fsync: a
    /// status lost in a crash is rewritten at the next start.
    public func write(to home: Home) throws {
        let data = try JSONCoding.pretty.encode(self)
        let temp = home.runDirectory.appendingPathComponent(".status.json.tmp.\(getpid())")
        try data.write(to: temp)
        guard rename(temp.path, home.statusFile.path) == 0 else {
            throw DurableFile.Failure(path: home.statusFile.path, operation: "rename", errno: errno)
        }
    }
}
