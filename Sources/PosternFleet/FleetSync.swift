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

    public init(home: Home, settings: FleetSettings, logger: Logger) throws {
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
        etcd.password = FleetSettings.password(home)
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

    /// Reads `current`, and when the local store holds anything else, the generation and this
    /// machine's overrides: validates and compiles it exactly as a local commit would, and
    /// writes it locally. Level-triggered: it compares states, so a missed event costs nothing.
    public func syncOnce() async throws -> Outcome {
        guard let read = try await store.current() else { return .empty }
        let (pointer, revision) = (read.pointer, read.modRevision)
        let local = ConfigStore(home: home)
        if let mine = try? local.currentCommit(), mine.generation == pointer.generation {
            return .current(generation: pointer.generation, revision: revision)
        }
        guard let generation = try await store.generation(pointer.generation) else {
            return .rejected(generation: pointer.generation, revision: revision,
                             problems: ["config/current names generation \(pointer.generation), which etcd does not hold"])
        }
        var document = generation.document
        if let overrides = try await store.overrides(settings.machine) {
            document.configuration = overrides.applied(to: document.configuration)
        } else if let mine = try? local.load() {
            // A machine without overrides yet keeps its own addresses.
            document.configuration = MachineOverrides(of: mine.configuration).applied(to: document.configuration)
        }
        let problems = CompiledConfiguration.check(document.configuration, home: home)
        if !problems.isEmpty {
            return .rejected(generation: pointer.generation, revision: revision, problems: problems.map(\.description))
        }
        // LEAVE may have run meanwhile (the engine notices within a second): a standalone
        // machine takes nothing more from the fleet.
        guard FleetSettings.load(home) == settings else { return .current(generation: pointer.generation, revision: revision) }
        do {
            try local.adopt(document)
        } catch {
            return .rejected(generation: pointer.generation, revision: revision, problems: ["\(error)"])
        }
        return .adopted(generation: pointer.generation, revision: revision)
    }
}
