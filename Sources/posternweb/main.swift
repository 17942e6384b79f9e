import ArgumentParser
import Dispatch
import Foundation
import Logging
import PosternFleet
import PosternRuntime
import PosternStore
import PosternWeb

/// The admin web interface. Signals: TERM and INT stop it.
@main
struct Posternweb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posternweb", abstract: "The Postern admin web interface (HTTPS).")

    @Option(help: "The appliance home (default: $POSTERN_HOME, else /var/lib/postern).")
    var home: String?

    @Option(help: "Diagnostic log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "notice"

    /// The idle timeout is `adminaccessconfig`'s; this fixes it instead, for tests that cannot wait minutes.
    @Option(help: .hidden)
    var idleTimeout: Double?

    /// Seconds a connection may send nothing before it is closed; tests shorten it.
    @Option(help: .hidden)
    var connectionIdleTimeout: Double = 60

    func run() async throws {
        umask(0o007)
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "posternweb")
        let home = Home.resolve(home)
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be more than 0 minutes.") }
        do {
            try HomeBootstrap.prepare(home)
        } catch {
            logger.critical("cannot prepare \(home.root.path): \(error)")
            throw ExitCode(1)
        }
        let pidFile = home.runDirectory.appendingPathComponent("posternweb.pid")
        try? "\(getpid())\n".write(to: pidFile, atomically: true, encoding: .utf8)
        defer { unlink(pidFile.path) }

        let web = try await WebInterface(home: home, idleTimeoutOverride: idleTimeout.map { $0 * 60 },
                                         fleet: EtcdFleetService(logger: Logger(label: "posternweb.fleet")), logger: logger)
        guard connectionIdleTimeout > 0 else { throw ValidationError("--connection-idle-timeout must be more than 0.") }
        let server = WebServer(web: web, home: home, logger: logger,
                               connectionIdleTimeout: .milliseconds(Int64(connectionIdleTimeout * 1000)))
        let task = Task { await server.run() }
        // Signal handlers only raise an event (style.md §11): here, cancel the server's task.
        let signals = DispatchQueue(label: "posternweb.signals")
        var sources: [DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
            source.setEventHandler { task.cancel() }
            source.resume()
            sources.append(source)
        }
        signal(SIGPIPE, SIG_IGN)
        logger.notice("started", metadata: ["home": "\(home.root.path)", "pid": "\(getpid())"])
        await task.value
        withExtendedLifetime(sources) {}
    }
}
