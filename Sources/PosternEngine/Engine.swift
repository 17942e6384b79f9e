import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import PosternConfig
import PosternControl
import PosternDNS
import PosternPolicy
import PosternRuntime
import PosternSpool
import PosternStore

/// The SMTP/TLS engine: serves the committed configuration, reloads it on request, keeps
/// `run/status.json` current. All control (start, reload, stop) runs on one serial queue;
/// connections run on the event loops.
public final class Engine: @unchecked Sendable {
    // @unchecked: every mutable property is touched only on `control`.
    private let home: Home
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    private let dnsOptions: DNSResolver.Options
    private var resolver: DNSResolver?
    private let control = DispatchQueue(label: "posternd.control")
    private var services: EngineServices!
    private var listeners: ListenerManager!
    private var status: EngineStatus!
    private var statusTimer: DispatchSourceTimer?
    /// TLS connections per hour by direction and level (Monitor → TLS Connections), and the
    /// counters it has taken in.
    private var tlsReport = TLSReport()
    private var tlsCounted: [String: Int] = [:]
    private var watcher: ConfigWatcher?
    private var ticketKeys: TicketKeyRotation!
    private var runner: QueueRunner!
    private let stopped = DispatchSemaphore(value: 0)
    private var stopping = false

    /// `dns` picks the resolver's servers (default: /etc/resolv.conf) and its limits.
    public init(home: Home, logger: Logger, threads: Int = System.coreCount, dns: DNSResolver.Options = .init()) {
        self.home = home
        self.logger = logger
        self.dnsOptions = dns
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.threadPool = NIOThreadPool(numberOfThreads: max(4, threads * 2))
    }

    /// Prepares the home, loads and applies the committed configuration, writes the pid file.
    /// Throws when the committed configuration cannot be served at all.
    public func start() throws {
        try control.sync {
            try HomeBootstrap.prepare(home)
            threadPool.start()
            let spool = Spool(directory: home.queueDirectory)
            let recovered = try spool.open()
            logger.info("spool recovered", metadata: ["messages": "\(recovered.messages)",
                                                      "discarded": "\(recovered.discarded)",
                                                      "quarantined": "\(recovered.quarantined)"])
            if recovered.quarantined > 0 {
                let files = recovered.quarantineFiles.map { "queue/quarantine/" + $0 }.joined(separator: ", ")
                logger.error("damaged queue segment: the rest of it was quarantined",
                             metadata: ["bytes": "\(recovered.quarantined)", "files": "\(files)"])
            }
            // MIDs start above every one the queue holds, whatever ids.json says (or if it is gone).
            let ids = IDAllocator(file: home.queueDirectory.appendingPathComponent("ids.json"),
                                  floors: [.mid: recovered.highestMID + 1])
            if let note = ids.startNote { logger.warning("\(note)") }
            if let problem = ids.reservationProblem {
                logger.error("cannot reserve message IDs; mail is refused with 451 until the disk accepts writes",
                             metadata: ["error": "\(problem)"])
            }
            let wake = WakeBox()
            let resolver = try DNSResolver(dnsOptions)
            self.resolver = resolver
            services = EngineServices(
                spool: spool, ids: ids,
                mailLog: try MailLog(path: home.mailLog.path), registry: ConnectionRegistry(), threadPool: threadPool,
                resolver: resolver, queued: { wake.runner?.wake() }, reverseDNS: ReverseDNS(resolver: resolver),
                recipientLimiter: RecipientRateLimiter(), authFailures: AuthFailureLimiter(),
                authCheckers: AuthCheckers())
            runner = QueueRunner(spool: spool, services: services, group: group, logger: logger)
            wake.runner = runner
            listeners = ListenerManager(group: group, services: services, logger: logger)
            // Watching starts before the first load, so a commit made while the engine starts
            // is never missed; its reload runs on this queue once start() is done.
            watcher = ConfigWatcher(home: home, logger: logger) { [weak self] in self?.reload(force: false) }
            ticketKeys = TicketKeyRotation(home: home, queue: control, logger: logger)
            let document: ConfigDocument
            let compiled: CompiledConfiguration
            do {
                document = try ConfigStore(home: home).load()
                do throws(ConfigProblems) {
                    compiled = try CompiledConfiguration(document.configuration, home: home, ticketKeys: ticketKeys.keys)
                } catch {
                    throw EngineError.unservable(generation: document.commit.generation, error)
                }
            } catch {
                stopping = true
                watcher?.stop()
                throw error
            }
            status = EngineStatus(pid: getpid(), startedAt: Date(), generation: document.commit.generation)
            status.spoolRecovery = EngineStatus.SpoolRecovery(
                messages: recovered.messages, discardedBytes: recovered.discarded,
                quarantinedBytes: recovered.quarantined, quarantineFiles: recovered.quarantineFiles)
            status.watchesConfiguration = watcher != nil
            tlsReport = TLSReport.read(home)
            apply(compiled, generation: document.commit.generation)
            try "\(getpid())\n".write(to: home.pidFile, atomically: true, encoding: .utf8)
            writeStatus()
            startStatusTimer()
            runner.start()
        }
        // A window that expired while the engine was down is acted on now.
        control.async { [self] in checkConfirmation() }
    }

    /// `commit confirmed`: when the deadline has passed unconfirmed, restore the previous
    /// generation (as a new one) and serve it.
    private func checkConfirmation() {
        guard !stopping else { return }
        let store = ConfigStore(home: home)
        let window = store.pendingConfirmation()
        if window != status.confirmation {
            status.confirmation = window
            writeStatus()
        }
        guard let window, window.deadline <= Date() else { return }
        do {
            guard let record = try store.rollBackIfUnconfirmed() else { return }
            let text = "Configuration generation \(window.generation) was not confirmed within \(window.minutes) "
                + "minute\(window.minutes == 1 ? "" : "s"); generation \(window.previous) restored as generation "
                + "\(record.generation)"
            logger.warning("\(text)")
            services.mailLog.write(level: "Warning", text)
            status.automaticRollback = EngineStatus.AutomaticRollback(
                unconfirmed: window.generation, restored: window.previous, generation: record.generation, at: Date())
            status.confirmation = nil
            reload()
        } catch {
            logger.error("automatic rollback failed", metadata: ["error": "\(error)"])
        }
    }

    /// Re-reads the committed configuration; applies it whole or keeps the old one and says why.
    /// Without `force`, a generation already served or rejected is left alone.
    public func reload(force: Bool = true) {
        control.async { [self] in
            guard !stopping else { return }
            let started = ContinuousClock.now
            let store = ConfigStore(home: home)
            let document: ConfigDocument
            do {
                document = try store.load()
            } catch {
                reject(generation: (try? store.load().commit.generation) ?? status.generation, problems: ["\(error)"])
                return
            }
            let generation = document.commit.generation
            // The watcher announces a commit (the CLI signals only an engine without one); its
            // call skips a generation already served or already rejected. SIGHUP always re-reads
            // (to retry a listener that could not bind, say).
            if !force && (generation == status.generation || status.lastReload?.generation == generation) {
                return
            }
            let loaded = ContinuousClock.now
            do throws(ConfigProblems) {
                let compiled = try CompiledConfiguration(document.configuration, home: home,
                                                         ticketKeys: ticketKeys.keys)
                let built = ContinuousClock.now
                apply(compiled, generation: generation)
                status.lastReload = EngineStatus.ReloadReport(generation: generation, outcome: .applied, problems: [],
                                                              at: Date())
                func ms(_ d: Duration) -> String { "\(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)" }
                logger.info("configuration applied", metadata: [
                    "generation": "\(generation)", "load_ms": "\(ms(loaded - started))",
                    "compile_ms": "\(ms(built - loaded))", "apply_ms": "\(ms(ContinuousClock.now - built))",
                ])
            } catch {
                reject(generation: generation, problems: error.problems.map(\.description))
                return
            }
            writeStatus()
        }
    }

    private func reject(generation: Int, problems: [String]) {
        status.lastReload = EngineStatus.ReloadReport(generation: generation, outcome: .rejected, problems: problems,
                                                      at: Date())
        logger.error("configuration rejected; still serving generation \(status.generation)",
                     metadata: ["generation": "\(generation)", "problems": "\(problems.joined(separator: " | "))"])
        writeStatus()
    }

    private func apply(_ compiled: CompiledConfiguration, generation: Int) {
        // Before any listener serves with the contexts that read them.
        ticketKeys.update(lifetime: compiled.configuration.ssl.inbound.resumption.ticketLifetime)
        services.authCheckers.retain(Set(compiled.listeners.compactMap(\.smtpAuth)), outboundTLS: compiled.outboundTLS,
                                     hostname: compiled.configuration.hostname)
        let runtimes = compiled.listeners.map {
            ListenerRuntime(compiled: $0, generation: generation, settings: compiled.configuration.listenerSettings,
                            hostname: $0.interface.hostname, authLimits: compiled.configuration.smtpAuthSettings,
                            authChecker: $0.smtpAuth.map(services.authCheckers.checker(for:)))
        }
        status.listeners = listeners.apply(runtimes)
        runner.update(DeliveryRuntime(configuration: compiled.configuration.delivery, tls: compiled.outboundTLS,
                                      hostname: compiled.configuration.hostname,
                                      resumption: compiled.configuration.ssl.outbound.resumption))
        status.generation = generation
        status.appliedAt = Date()
    }

    private func startStatusTimer() {
        let timer = DispatchSource.makeTimerSource(queue: control)
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in
            self?.checkConfirmation()
            self?.refreshStatus()
        }
        timer.resume()
        statusTimer = timer
    }

    /// Counters and the drain report change under load; the file is rewritten only when they did.
    private func refreshStatus() {
        guard !stopping else { return }
        let before = status
        fillLiveFields()
        recordTLS()
        if status.counters != before?.counters || status.sessionsByGeneration != before?.sessionsByGeneration
            || status.drainedAt != before?.drainedAt
        {
            writeStatus()
        }
    }

    /// Adds what the TLS counters grew by to the hourly report; on the status timer, so the
    /// handshake path only bumps a counter.
    private func recordTLS() {
        let counters = status.counters.tlsByLevel
        let grown = counters.reduce(into: [String: Int]()) { $0[$1.key] = $1.value - (tlsCounted[$1.key] ?? 0) }
            .filter { $0.value > 0 }
        guard !grown.isEmpty else { return }
        tlsCounted = counters
        tlsReport.add(grown, at: Date())
        do { try tlsReport.write(home) } catch { logger.error("cannot write the TLS report", metadata: ["error": "\(error)"]) }
    }

    private func fillLiveFields() {
        status.counters = services.registry.counters
        status.sessionsByGeneration = Dictionary(uniqueKeysWithValues:
            services.registry.sessionsByGeneration.map { (String($0.key), $0.value) })
        // The generations that drained since the engine started, newest ten.
        let drained = services.registry.drained.filter { $0.key != status.generation }
            .sorted { $0.key > $1.key }.prefix(10)
        status.drainedAt = Dictionary(uniqueKeysWithValues: drained.map { (String($0.key), $0.value) })
    }

    private func writeStatus() {
        fillLiveFields()
        status.updatedAt = Date()
        do { try status.write(to: home) } catch { logger.error("cannot write status", metadata: ["error": "\(error)"]) }
    }

    /// Stops accepting, lets sessions between messages go with a 421, waits for the others
    /// up to `grace`, then closes what is left.
    public func stop(grace: Duration = .seconds(10)) {
        control.async { [self] in
            guard !stopping else { return }
            stopping = true
            statusTimer?.cancel()
            ticketKeys?.stop()
            fillLiveFields()
            recordTLS()
            watcher?.stop()
            listeners.closeAll()
            runner.stop()
            for channel in services.registry.channels {
                channel.pipeline.fireUserInboundEventTriggered(EngineShutdownEvent())
            }
            let clock = ContinuousClock()
            let deadline = clock.now + grace
            while services.registry.openCount > 0 && clock.now < deadline { usleep(20_000) }
            for channel in services.registry.channels { channel.close(promise: nil) }
            // The spool answers what it still holds while the event loops can take the answers;
            // a store after this is answered at once (never a task on a loop that is gone).
            services.spool.stop()
            try? group.syncShutdownGracefully()
            try? threadPool.syncShutdownGracefully()
            resolver?.shutdown()
            unlink(home.pidFile.path)
            logger.info("stopped")
            stopped.signal()
        }
    }

    /// Blocks until `stop()` has finished.
    public func waitUntilStopped() {
        stopped.wait()
    }

    /// The ports the listeners are bound to (useful when a test configures port 0).
    public var boundPorts: [Int] { control.sync { listeners.localPorts() } }
}

public enum EngineError: Error, CustomStringConvertible {
    case unservable(generation: Int, ConfigProblems)

    public var description: String {
        switch self {
        case .unservable(let generation, let problems):
            return "The committed configuration (generation \(generation)) cannot be served:\n\(problems)"
        }
    }
}

/// Lets the services call the queue runner that is made after them.
private final class WakeBox: @unchecked Sendable {
    // @unchecked: set once during start, before any connection can read it.
    var runner: QueueRunner?
}
