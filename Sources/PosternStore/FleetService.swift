import Foundation
import PosternConfig

/// The fleet operations the CLI needs. The implementation (PosternFleet) talks to etcd over
/// AsyncHTTPClient, which brings NIO; PosternCLI must not import NIO (DESIGN.md, "Source
/// layout"), so the `postern` executable hands the CLI this protocol and the CLI sees only it.
public protocol FleetService: Sendable {
    /// Brings the local store to the fleet's current generation before a session starts;
    /// a message when etcd cannot be asked (the session then starts on what is local).
    func sync(home: Home) -> String?

    /// CREATE: a new fleet whose first generation is this machine's committed configuration.
    func create(home: Home, settings: FleetSettings, password: String?, user: String, source: String)
        throws(StoreError) -> CommitRecord
    /// JOIN: take the fleet's configuration (this machine's own stays in its history).
    func join(home: Home, settings: FleetSettings, password: String?) throws(StoreError) -> FleetJoin
    /// LEAVE: standalone again, keeping the last applied configuration.
    func leave(home: Home) throws(StoreError)
    /// What `clusterconfig` shows.
    func view(home: Home) throws(StoreError) -> FleetView

    /// `commit` in a fleet: the same contract as `ConfigStore.commit` (check first, conflict on
    /// a stale base naming who committed what on which machine), as one etcd txn; the local
    /// store holds the generation when it returns.
    func commit(
        home: Home, configuration: Configuration, base: Int, user: String, source: String, comment: String,
        check: (Configuration) -> [ConfigProblem]
    ) throws(StoreError) -> CommitRecord
    /// clusterconfig MACHINES: a machine's own settings (the machine level overriding the cluster
    /// level) changed, as a new generation of the fleet so every member sees it in its history
    /// and `machine` applies it.
    func setOverrides(home: Home, machine: String, overrides: MachineOverrides, user: String, source: String)
        throws(StoreError) -> CommitRecord
    /// Waits up to `timeout` for every member to report `generation`, calling `progress` as each does.
    func awaitMembers(home: Home, generation: Int, timeout: Duration, progress: (MemberStatus) -> Void) -> FleetProgress
}

/// What JOIN did.
public struct FleetJoin: Sendable {
    public var generation: Int
    /// Where this machine's standalone history went, when the fleet's numbers would have overwritten it.
    public var archivedHistory: String?
    public init(generation: Int, archivedHistory: String?) {
        self.generation = generation
        self.archivedHistory = archivedHistory
    }
}

/// How many members have applied a generation.
public struct FleetProgress: Sendable, Equatable {
    public var applied: Int
    public var members: Int
    public init(applied: Int, members: Int) {
        self.applied = applied
        self.members = members
    }
}

/// `members/<machine>`: what a running engine last applied (written under its lease).
public struct MemberStatus: Codable, Hashable, Sendable {
    public var machine: String
    public var appliedGeneration: Int
    /// Why the newest generation was not applied, if it was not.
    public var lastError: String?
    public var seen: Date

    public init(machine: String, appliedGeneration: Int, lastError: String?, seen: Date) {
        self.machine = machine
        self.appliedGeneration = appliedGeneration
        self.lastError = lastError
        self.seen = seen
    }
}

/// The fleet as `clusterconfig` shows it.
public struct FleetView: Sendable {
    public var settings: FleetSettings
    /// The fleet's current generation and who committed it (nil when etcd holds none).
    public var current: CommitRecord?
    public var currentMachine: String?
    public var members: [MemberStatus]
    /// Machines with per-machine settings, running or not.
    public var machines: [String] { overrides.keys.sorted() }
    /// Each machine's own settings.
    public var overrides: [String: MachineOverrides]

    public init(settings: FleetSettings, current: CommitRecord?, currentMachine: String?, members: [MemberStatus],
                overrides: [String: MachineOverrides]) {
        self.settings = settings
        self.current = current
        self.currentMachine = currentMachine
        self.members = members
        self.overrides = overrides
    }
}
