import ArgumentParser
import Dispatch
import Foundation
import Logging
import PosternConfig
import PosternDNS
import PosternEngine
import PosternFleet
import PosternRuntime
import PosternStore

/// The SMTP/TLS engine. Signals: HUP reloads the committed configuration, TERM and INT stop.
struct Posternd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "posternd", abstract: "The Postern SMTP/TLS engine.")

    @Option(help: "The appliance home (default: $POSTERN_HOME, else /var/lib/postern).")
    var home: String?

    @Flag(help: "Check the committed configuration as a reload would, print every problem, and exit.")
    var check = false

    @Option(help: ArgumentHelp(
        "Serve the configuration in FILE (JSON) on loopback in a temporary home, probe every listener and sender group, print the findings as JSON, and exit. Certificates are read from the home.",
        valueName: "file"))
    var probe: String?

    @Flag(help: "Check the live listeners from loopback against RFC 3207 and their policy, print the findings as JSON, and exit (1 when a check failed).")
    var selftest = false

    @Option(help: "Diagnostic log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Event-loop threads (default: one per core).")
    var threads: Int?

    @Option(help: ArgumentHelp(
        "DNS servers to ask instead of /etc/resolv.conf, as host[:port] separated by commas; /etc/hosts is then not read.",
        valueName: "servers"))
    var dnsServers: String?

    func run() throws {
        umask(0o007)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "posternd")
        let home = Home.resolve(home)
        if check { try runCheck(home) }
        if let probe { runProbe(probe, home: home, logger: logger) }
        if selftest {
            let report = SelfTest.run(home: home)
            FileHandle.standardOutput.write(((try? report.encoded()) ?? Data("{}".utf8)) + Data("\n".utf8))
            Foundation.exit(report.failures == 0 ? 0 : 1)
        }

        // Each connection costs a descriptor; the default soft limit (1,024) is far below what an
        // event-driven server holds, and the hard limit is what the administrator allowed.
        if let limits = DescriptorLimit.raiseToHardLimit() {
            logger.info("file descriptors", metadata: ["before": "\(limits.before)", "limit": "\(limits.after)"])
        }
        let engine = Engine(home: home, logger: logger, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                            dns: DNSResolver.Options(servers: dnsServers))
        // Signal handlers only raise an event; the work runs on ordinary queues (style.md §11).
        let signals = DispatchQueue(label: "posternd.signals")
        var sources: [DispatchSourceSignal] = []
        for (number, action) in [(SIGHUP, { engine.reload() }), (SIGTERM, { engine.stop() }), (SIGINT, { engine.stop() })] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: signals)
            source.setEventHandler(handler: action)
            source.resume()
            sources.append(source)
        }
        signal(SIGPIPE, SIG_IGN)
        do {
            try engine.start()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        logger.info("started", metadata: ["home": "\(home.root.path)", "pid": "\(getpid())"])
        // A fleet member follows etcd beside the engine; the engine itself never waits for it.
        let fleet = FleetMembership.start(home: home, logger: Logger(label: "posternd.fleet"))
        engine.waitUntilStopped()
        fleet.cancel()
        withExtendedLifetime(sources) {}
    }

    private func runProbe(_ file: String, home: Home, logger: Logger) -> Never {
        let configuration: Configuration
        do {
            configuration = try JSONCoding.decoder.decode(Configuration.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
        } catch {
            FileHandle.standardError.write(Data("posternd: cannot read the configuration to probe from \(file): \(error)\n".utf8))
            Foundation.exit(2)
        }
        var quiet = logger
        quiet.logLevel = .error
        let report = Prober.run(configuration, certificates: home, logger: quiet)
        FileHandle.standardOutput.write((try? report.encoded()) ?? Data("{}".utf8))
        FileHandle.standardOutput.write(Data("\n".utf8))
        Foundation.exit(0)
    }

    private func runCheck(_ home: Home) throws -> Never {
        do {
            try HomeBootstrap.prepare(home)
            let document = try ConfigStore(home: home).load()
            let problems = CompiledConfiguration.check(document.configuration, home: home)
            if problems.isEmpty {
                print("The configuration is valid (generation \(document.commit.generation)).")
                Foundation.exit(0)
            }
            for problem in problems { print(problem) }
            Foundation.exit(1)
        } catch {
            print("\(error)")
            Foundation.exit(1)
        }
    }
}

Posternd.main()
