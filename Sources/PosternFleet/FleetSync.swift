import Foundation
import Logging
import PosternConfig
import PosternRuntime
import PosternStore

/// A machine's link to its fleet: the etcd client made from `fleet/settings.json`, and the
/// one step both the engine's follower and the CLI take to bring the local store up to the
/// fleet's current generation.
public struct FleetSync: Sendable {
    public let home: Home
    public let settings: FleetSettings
    public let store: FleetStore

    /// `password` is the etcd user's; by default the one stored under the home. JOIN and CREATE
    /// pass the one they were given, which is stored only once the fleet answered.
    public init(home: Home, settings: FleetSettings, password: String?? = nil, logger: Logger) throws {
        self.home = home
        self.settings = settings
        var etcd = EtcdSettings(endpoints: settings.endpoints)
        let directory = FleetSettings.directory(home)
        func path(_ name: String?) -> String? {
            name.map { $0.hasPrefix("/") ? $0 : directory.appendingPathComponent($0).path }
        }
        etcd.caFile = path(settings.caFile)
        etcd.certificateFile = path(settings.certificateFile)
        etcd.keyFile = path(settings.keyFile)
        etcd.username = settings.username
        etcd.password = password ?? FleetSettings.password(home)
        store = FleetStore(client: try EtcdClient(settings: etcd, logger: logger), fleet: settings.fleet)
    }

    /// What one look at the fleet found and did.
    public enum Outcome: Sendable, Equatable {
        /// The fleet has no generation yet.
        case empty
        /// The local store already holds the fleet's generation.
        case current(generation: Int, revision: Int64)
        /// The fleet's generation was written locally (the engine applies it).
        case adopted(generation: Int, revision: Int64)
        /// The fleet's generation does not validate or compile here; the old one stays.
        case rejected(generation: Int, revision: Int64, problems: [String])
    }

    /// What the fleet's current generation would be on this machine, before anything is written.
    public enum Prepared: Sendable {
        case empty
        case current(generation: Int, revision: Int64)
        /// The generation with this machine's overrides in place, validated and compiled here.
        case ready(ConfigDocument, revision: Int64)
        case rejected(generation: Int, revision: Int64, problems: [String])
    }

    /// Reads `current`, and when the local store holds anything else, the generation (checked
    /// against the pointer) and this machine's overrides, and validates and compiles the result
    /// exactly as a local commit would. Writes nothing.
    public func prepare() async throws -> Prepared {
        guard let read = try await store.current() else { return .empty }
        let (pointer, revision) = (read.pointer, read.modRevision)
        let local = ConfigStore(home: home)
        // The same number is not enough: a machine joining may have counted to it on its own.
        if let mine = try? local.currentCommit(), pointer.names(mine) {
            return .current(generation: pointer.generation, revision: revision)
        }
        let generation: FleetGeneration
        switch try await store.verifiedGeneration(pointer) {
        case .success(let verified): generation = verified
        case .failure(let damage): return .rejected(generation: pointer.generation, revision: revision, problems: [damage.description])
        }
        var document = generation.document
        let missing = try await FleetFiles.fetchMissing(generation.files ?? [:], store: store, home: home)
        if !missing.isEmpty { return .rejected(generation: pointer.generation, revision: revision, problems: missing) }
        let overrides: MachineOverrides?
        do { overrides = try await store.overrides(settings.machine) } catch let error as EtcdError where error.isMalformed {
            return .rejected(generation: pointer.generation, revision: revision,
                             problems: ["this machine's overrides in etcd cannot be read: \(error)"])
        }
        if let overrides {
            document.configuration = overrides.applied(to: document.configuration)
        } else if let mine = try? local.load() {
            // A machine without overrides yet keeps its own addresses.
            document.configuration = MachineOverrides(of: mine.configuration).applied(to: document.configuration)
        }
        let problems = CompiledConfiguration.check(document.configuration, home: home)
        if !problems.isEmpty {
            return .rejected(generation: pointer.generation, revision: revision, problems: problems.map(\.description))
        }
        return .ready(document, revision: revision)
    }

    /// `prepare`, then the local write. Level-triggered: it compares states, so a missed event
    /// costs nothing.
    public func syncOnce() async throws -> Outcome {
        switch try await prepare() {
        case .empty:
            return .empty
        case .current(let generation, let revision):
            return .current(generation: generation, revision: revision)
        case .rejected(let generation, let revision, let problems):
            return .rejected(generation: generation, revision: revision, problems: problems)
        case .ready(let document, let revision):
            // The generations committed since this machine last took one, so its history is the
            // fleet's; one that cannot be had now comes with a later generation.
            _ = try? await fillHistory(below: document)
            return adopt(document, revision: revision)
        }
    }

    /// Writes a prepared generation to the local store (the engine applies it as any commit).
    public func adopt(_ document: ConfigDocument, revision: Int64) -> Outcome {
        let generation = document.commit.generation
        // LEAVE may have run meanwhile (the engine notices within a second): a standalone
        // machine takes nothing more from the fleet.
        guard FleetSettings.load(home) == settings else { return .current(generation: generation, revision: revision) }
        do {
            try ConfigStore(home: home).adopt(document)
        } catch {
            return .rejected(generation: generation, revision: revision, problems: ["\(error)"])
        }
        return .adopted(generation: generation, revision: revision)
    }
}
