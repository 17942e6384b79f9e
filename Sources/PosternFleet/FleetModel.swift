import Foundation
import PosternConfig
import PosternStore

/// Where a fleet keeps its state in etcd: everything under `/postern/<fleet>/`.
public struct FleetKeys: Sendable, Hashable {
    public let fleet: String

    public init(fleet: String) { self.fleet = fleet }

    var root: String { "/postern/\(fleet)/" }
    /// A small pointer to the newest generation (`FleetPointer`).
    public var current: Data { Data((root + "config/current").utf8) }
    /// An immutable generation (`FleetGeneration`); 20 digits so keys sort by number.
    public func generation(_ number: Int) -> Data {
        let digits = String(number)
        return Data((root + "config/gen/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits).utf8)
    }
    public var generationsPrefix: Data { Data((root + "config/gen/").utf8) }
    public func overrides(_ machine: String) -> Data { Data((root + "machines/\(machine)/overrides").utf8) }
    /// Present while the machine's engine runs: the key lives under its lease.
    public func member(_ machine: String) -> Data { Data((root + "members/\(machine)").utf8) }
    public var membersPrefix: Data { Data((root + "members/").utf8) }
    /// A certificate or key file, content-addressed.
    public func file(sha256: String) -> Data { Data((root + "certs/" + sha256).utf8) }
}

/// One committed generation of the fleet, immutable once written.
public struct FleetGeneration: Codable, Hashable, Sendable {
    /// A random id per commit attempt: how an ambiguous outcome is resolved by reading.
    public var id: String
    /// The machine the admin committed on.
    public var machine: String
    /// The commit record and the fleet's configuration (with the committing machine's own settings in it).
    public var document: ConfigDocument
    /// The certificate profiles' files (name in certs/ → SHA-256 of its bytes), each held in etcd
    /// once under `certs/<sha256>`, so a member writes the ones it lacks before it checks.
    public var files: [String: String]?
}

/// Why a generation etcd holds cannot be taken (missing, bytes that do not match the pointer,
/// unreadable): said in the member's report and the log, while the old generation serves on.
public struct DamagedGeneration: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `config/current`: which generation is the fleet's, and who made it (so a conflict can say so
/// from the txn's one failure read).
public struct FleetPointer: Codable, Hashable, Sendable {
    public var generation: Int
    public var id: String
    public var machine: String
    public var user: String
    public var source: String
    public var comment: String
    public var time: Date
    /// The hex SHA-256 of the generation's value.
    public var sha256: String

    /// True when `record` is this pointer's commit (not merely a commit with the same number).
    public func names(_ record: CommitRecord) -> Bool {
        record.generation == generation && record.user == user && record.source == source && record.comment == comment
            && record.time == time
    }
}
