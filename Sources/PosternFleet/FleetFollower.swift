import Foundation
import Logging
import PosternConfig
import PosternControl
import PosternStore

/// The engine's side of a fleet: watches `config/current` and brings the local store to each
/// new generation (the engine's own watcher then applies it as any commit), and keeps this
/// machine's member key, under a lease, saying which generation the engine serves.
///
/// Mail never waits for this: the engine serves what the local store holds, and every etcd
/// failure here only delays the next generation. On any doubt (a compacted or canceled
/// watch, no leader, the stream's end, or simply `recheck` passing) it re-reads: level-triggered.
public final class FleetFollower: Sendable {
    let sync: FleetSync
    let logger: Logger
    /// The longest a watch is trusted without a re-read, whatever it says.
    let recheck: Duration
    private let tasks: TaskBox

    public init(sync: FleetSync, logger: Logger, recheck: Duration = .seconds(5)) {
        self.sync = sync
        self.logger = logger
        self.recheck = recheck
        tasks = TaskBox()
    }

    public func start() {
        tasks.set([
            Task { [self] in await follow() },
            Task { [self] in await report() },
        ])
    }

    public func stop() {
        tasks.cancelAll()
    }

    /// The last reason a generation was not applied, shared with the member report.
    let lastError = ErrorBox()

    private func follow() async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let revision: Int64
                switch try await sync.syncOnce() {
                case .empty:
                    revision = 0
                case .current(_, let r):
                    lastError.value = nil
                    revision = r
                case .adopted(let generation, let r):
                    logger.info("fleet generation written locally", metadata: ["generation": "\(generation)"])
                    lastError.value = nil
                    revision = r
                case .rejected(let generation, let r, let problems):
                    logger.error("fleet generation not applied", metadata: [
                        "generation": "\(generation)", "problems": "\(problems.joined(separator: "; "))"])
                    lastError.value = "generation \(generation): " + problems.joined(separator: "; ")
                    revision = r
                }
                backoff = .milliseconds(100)
                try await watchOnce(from: revision + 1)
            } catch is CancellationError {
                return
            } catch {
                // A value Postern cannot read (current damaged by hand) is said in the member key too;
                // unreachable etcd cannot be told anything.
                if let etcd = error as? EtcdError, etcd.isMalformed { lastError.value = "\(etcd)" }
                logger.warning("fleet: \(error); serving the configuration last applied")
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    /// Returns at the first sign that current may have moved, or after `recheck`.
    private func watchOnce(from revision: Int64) async throws {
        let client = sync.store.client
        let key = sync.store.keys.current
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await client.watch(key: key, startRevision: revision) { response in
                    // created: keep going; events, canceled, compacted: re-read.
                    if response.canceled || response.compactRevision.value != 0 || !response.events.isEmpty { return false }
                    return true
                }
            }
            group.addTask { [recheck] in try await Task.sleep(for: recheck) }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// The member key: granted a lease, put with the engine's served generation, kept alive;
    /// a member whose engine stops disappears when its lease ends.
    private func report() async {
        let client = sync.store.client
        let key = sync.store.keys.member(sync.settings.machine)
        var lease: Int64 = 0
        var reported: MemberStatus?
        var lastKeepAlive = ContinuousClock.now
        while !Task.isCancelled {
            let status = EngineStatus.read(sync.home)
            let rejected = status?.lastReload.flatMap {
                $0.outcome == .rejected ? "generation \($0.generation): " + $0.problems.joined(separator: "; ") : nil
            }
            let member = MemberStatus(machine: sync.settings.machine, appliedGeneration: status?.generation ?? 0,
                                      lastError: lastError.value ?? rejected, seen: Date())
            do {
                if lease == 0 {
                    lease = try await client.grantLease(ttl: 10)
                    reported = nil
                }
                // After LEAVE the key is gone and stays gone, though this task may run a second longer.
                guard FleetSettings.load(sync.home) == sync.settings else { return }
                let due = ContinuousClock.now - lastKeepAlive > .seconds(3)
                if due {
                    if try await client.keepAlive(lease: lease) <= 0 {
                        lease = 0
                        continue
                    }
                    lastKeepAlive = .now
                }
                // A change at once; otherwise with each keepalive, so `seen` is at most 3 s old.
                if due || reported?.appliedGeneration != member.appliedGeneration || reported?.lastError != member.lastError {
                    _ = try await client.put(PutRequest(key: key, value: try CanonicalJSON.encode(member), lease: lease))
                    reported = member
                }
            } catch {
                lease = 0
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// The follower's two tasks, cancelled together.
final class TaskBox: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var tasks: [Task<Void, Never>] = []
    func set(_ new: [Task<Void, Never>]) { lock.withLock { tasks = new } }
    func cancelAll() { lock.withLock { tasks.forEach { $0.cancel() } } }
}

/// A string shared by the follower's two tasks.
final class ErrorBox: @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var _value: String?
    var value: String? {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}

/// Starts and stops the follower as `fleet/settings.json` appears, changes and goes (CREATE,
/// JOIN, LEAVE run in the CLI while the engine runs).
public enum FleetMembership {
    public static func start(home: Home, logger: Logger) -> Task<Void, Never> {
        Task {
            var running: (settings: FleetSettings, follower: FleetFollower)?
            while !Task.isCancelled {
                let settings = FleetSettings.load(home)
                if settings != running?.settings {
                    running?.follower.stop()
                    running = nil
                    if let settings {
                        do {
                            let follower = FleetFollower(
                                sync: try FleetSync(home: home, settings: settings, logger: logger), logger: logger)
                            follower.start()
                            running = (settings, follower)
                            logger.info("following fleet", metadata: ["fleet": "\(settings.fleet)", "etcd": "\(settings.endpoints)"])
                        } catch {
                            logger.error("fleet \(settings.fleet): \(error)")
                        }
                    }
                }
                try? await Task.sleep(for: .seconds(1))
            }
            running?.follower.stop()
        }
    }
}
