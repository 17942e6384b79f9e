import Dispatch
import Foundation
import Logging
import PosternConfig
import PosternStore

/// `FleetService` on etcd: what `clusterconfig` and a fleet `commit` do, for the CLI.
public struct EtcdFleetService: FleetService {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    func connect(_ home: Home) throws(StoreError) -> FleetSync {
        guard let settings = FleetSettings.load(home) else {
            throw StoreError.io("This machine is not in a fleet (see clusterconfig).")
        }
        return try connect(home, settings)
    }

    func connect(_ home: Home, _ settings: FleetSettings, password: String?? = nil) throws(StoreError) -> FleetSync {
        do { return try FleetSync(home: home, settings: settings, password: password, logger: logger) } catch {
            throw StoreError.io("cannot set up the etcd client: \(error)")
        }
    }

    public func sync(home: Home) -> String? {
        guard FleetSettings.load(home) != nil else { return nil }
        do {
            let sync = try connect(home)
            switch try blocking({ try await sync.syncOnce() }) {
            case .rejected(let generation, _, let problems):
                return "The fleet's generation \(generation) does not apply on this machine:\n"
                    + problems.joined(separator: "\n")
            case .empty, .current, .adopted:
                // showchanges, commitdetail and rollbackconfig read the local history: the fleet's whole.
                if let local = try? ConfigStore(home: home).load() { _ = try? blocking { try await sync.fillHistory(below: local) } }
                return nil
            }
        } catch {
            return "\(error); this session starts on the configuration last applied here."
        }
    }

    public func create(home: Home, settings: FleetSettings, password: String?, user: String, source: String)
        throws(StoreError) -> CommitRecord
    {
        try settings.save(home, password: password)
        let sync: FleetSync
        do { sync = try connect(home, settings, password: .some(password)) } catch {
            FleetSettings.remove(home)
            throw storeError(error)
        }
        do {
            let local = try ConfigStore(home: home).load()
            if let existing = try blocking({ try await sync.store.current() }) {
                throw StoreError.io("etcd already holds fleet \(settings.fleet) (generation "
                    + "\(existing.pointer.generation)); use clusterconfig join.")
            }
            // The fleet continues this machine's numbering, so its history reads on without a gap.
            var record = local.commit
            record.parent = local.commit.generation
            record.generation = local.commit.generation + 1
            record.user = user
            record.source = source
            record.comment = "Fleet \(settings.fleet) created from \(settings.machine)"
            record.time = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
            let document = ConfigDocument(commit: record, configuration: local.configuration)
            try commitDocument(sync, document, home: home)
            return record
        } catch {
            FleetSettings.remove(home)
            throw storeError(error)
        }
    }

    public func join(home: Home, settings: FleetSettings, password: String?) throws(StoreError) -> FleetJoin {
        // The password given, not one a former membership left under the home.
        let sync = try connect(home, settings, password: .some(password))
        let local = ConfigStore(home: home)
        do {
            // Checked here before anything changes: a JOIN that is refused leaves the machine as it was.
            let document: ConfigDocument?
            let generation: Int
            switch try blocking({ try await sync.prepare() }) {
            case .empty:
                throw StoreError.io("etcd holds no fleet named \(settings.fleet); use clusterconfig create.")
            case .rejected(let number, _, let problems):
                throw StoreError.invalid(ConfigProblems(problems.map { ConfigProblem(path: "fleet generation \(number)", message: $0) }))
            case .current(let number, _):
                (document, generation) = (nil, number)  // joining again after a LEAVE, with nothing committed since
            case .ready(let ready, _):
                (document, generation) = (ready, ready.commit.generation)
            }
            // This machine's own settings (interfaces, listener addresses) are its overrides from now on.
            let mine = try local.load()
            if try blocking({ try await sync.store.overrides(settings.machine) }) == nil {
                try blocking { try await sync.store.setOverrides(MachineOverrides(of: mine.configuration), machine: settings.machine) }
            }
            var archived: String?
            if document != nil,
                mine.commit.generation >= generation || local.generations().contains(where: { $0 >= generation })
            {
                archived = try local.archiveHistory().path
            }
            try settings.save(home, password: password)
            if let document { try blocking { try await sync.fillHistory(below: document) } }
            if let document, case .rejected(_, _, let problems) = sync.adopt(document, revision: 0) {
                FleetSettings.remove(home)
                throw StoreError.io(problems.joined(separator: "; "))
            }
            return FleetJoin(generation: generation, archivedHistory: archived)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    public func leave(home: Home) throws(StoreError) {
        let sync = try connect(home)
        // The member key goes now rather than when its lease ends; etcd being down does not stop a LEAVE.
        _ = try? blocking { try await sync.store.client.deleteRange(DeleteRangeRequest(key: sync.store.keys.member(sync.settings.machine))) }
        FleetSettings.remove(home)
    }

    public func view(home: Home) throws(StoreError) -> FleetView {
        let sync = try connect(home)
        do {
            return try blocking {
                let current = try await sync.store.current()
                var record: CommitRecord?
                var machine: String?
                if let pointer = current?.pointer {
                    record = CommitRecord(generation: pointer.generation, parent: pointer.generation - 1, time: pointer.time,
                                          user: pointer.user, source: pointer.source, comment: pointer.comment)
                    machine = pointer.machine
                }
                let members = try await sync.store.members().sorted { $0.machine < $1.machine }
                let overrides = try await sync.store.allOverrides()
                return FleetView(settings: sync.settings, current: record, currentMachine: machine, members: members,
                                 overrides: overrides)
            }
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    public func commit(
        home: Home, configuration: Configuration, base: Int, user: String, source: String, comment: String,
        check: (Configuration) -> [ConfigProblem]
    ) throws(StoreError) -> CommitRecord {
        let sync = try connect(home)
        let time = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let record = CommitRecord(generation: base + 1, parent: base, time: time, user: user, source: source, comment: comment)
        let document = ConfigDocument(commit: record, configuration: configuration)
        var problems = check(configuration)
        if let problem = FleetLimits.sizeProblem(of: configuration, home: home) { problems.append(problem) }
        if !problems.isEmpty { throw StoreError.invalid(ConfigProblems(problems)) }
        try commitDocument(sync, document, home: home)
        return record
    }

    public func setOverrides(home: Home, machine: String, overrides: MachineOverrides, user: String, source: String)
        throws(StoreError) -> CommitRecord
    {
        let sync = try connect(home)
        // On top of the fleet's newest generation, as this machine holds it.
        if let message = self.sync(home: home) { throw StoreError.io(message) }
        let base = try ConfigStore(home: home).load()
        var configuration = base.configuration
        if machine == sync.settings.machine { configuration = overrides.applied(to: configuration) }
        let problems = overrides.applied(to: configuration).validate()
        if !problems.isEmpty { throw StoreError.invalid(ConfigProblems(problems)) }
        let time = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let record = CommitRecord(generation: base.commit.generation + 1, parent: base.commit.generation, time: time,
                                  user: user, source: source, comment: "Machine level settings of \(machine) changed")
        try commitDocument(sync, ConfigDocument(commit: record, configuration: configuration), home: home,
                           overrides: machine == sync.settings.machine ? [:] : [machine: overrides])
        return record
    }

    /// The txn, then the local store: the committing machine's engine applies it at once.
    func commitDocument(_ sync: FleetSync, _ document: ConfigDocument, home: Home,
                        overrides: [String: MachineOverrides] = [:]) throws(StoreError) {
        let outcome: FleetStore.CommitOutcome
        do {
            let files = try FleetFiles.collect(document.configuration, home: home)
            outcome = try blocking {
                try await sync.store.commit(document, machine: sync.settings.machine, overrides: overrides, files: files)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.io("\(error)")
        }
        switch outcome {
        case .committed:
            try ConfigStore(home: home).adopt(document)
        case .conflict(let winner):
            throw StoreError.conflict(base: document.commit.parent, current: CommitRecord(
                generation: winner.generation, parent: winner.generation - 1, time: winner.time, user: winner.user,
                source: "\(winner.source) on machine \(winner.machine)", comment: winner.comment))
        }
    }

    public func awaitMembers(home: Home, generation: Int, timeout: Duration, progress: (MemberStatus) -> Void)
        -> FleetProgress
    {
        guard let sync = try? connect(home) else { return FleetProgress(applied: 0, members: 0) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var told: Set<String> = []
        var last = FleetProgress(applied: 0, members: 0)
        while true {
            if let members = try? blocking({ try await sync.store.members() }) {
                for member in members where member.appliedGeneration >= generation && !told.contains(member.machine) {
                    told.insert(member.machine)
                    progress(member)
                }
                last = FleetProgress(applied: members.filter { $0.appliedGeneration >= generation }.count,
                                     members: members.count)
                if last.applied == last.members && last.members > 0 { return last }
            }
            if clock.now >= deadline { return last }
            usleep(50_000)
        }
    }
}

/// A store error as it is, anything else (etcd's) in words.
func storeError(_ error: any Error) -> StoreError {
    (error as? StoreError) ?? StoreError.io("\(error)")
}

/// Runs async work to completion from the CLI's synchronous code (never on an event loop).
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
    // @unchecked: written once by the task before the semaphore is signalled, read after the wait.
    var result: Result<T, any Error>?
}
