import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import PosternConfig
import PosternRuntime
import PosternStore
import Synchronization

/// Serves the web interface where the committed configuration says: HTTPS on each interface
/// that enables it, under `sslconfig GUI`, with the interface's certificate, and plain HTTP
/// that redirects to it. It follows commits (inotify on `config/`): a new cipher string or
/// certificate applies to the next connection, a moved port rebinds, and the signed-in
/// sessions with their pending changes live on in `WebInterface` through all of it.
public final class WebServer: Sendable {
    let web: WebInterface
    let home: Home
    let logger: Logger
    private let running = Mutex<[Endpoint: Running]>([:])

    /// One bound port.
    struct Endpoint: Hashable, CustomStringConvertible {
        let address: String
        let port: Int
        /// HTTPS, or the plain HTTP that redirects to `httpsPort`.
        let redirectTo: Int?

        var description: String {
            let host = address.contains(":") ? "[\(address)]" : address
            return "\(redirectTo == nil ? "https" : "http")://\(host):\(port)/"
        }
    }

    struct Running {
        let task: Task<Void, Never>
        let tls: TLSContextSource?
    }

    /// How long a connection may send nothing before it is closed (HTTPS and the redirect).
    let connectionIdleTimeout: TimeAmount

    public init(web: WebInterface, home: Home, logger: Logger, connectionIdleTimeout: TimeAmount = .seconds(60)) {
        self.web = web
        self.home = home
        self.logger = logger
        self.connectionIdleTimeout = connectionIdleTimeout
    }

    /// Binds what the configuration asks for and follows commits until cancelled.
    public func run() async {
        apply()
        let watcher = ConfigWatcher(home: home, logger: logger) { [self] in apply() }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        watcher?.stop()
        running.withLock { all in all.values.forEach { $0.task.cancel() } }
    }

    /// Makes the bound ports match the committed configuration. A configuration that does
    /// not compile changes nothing (the engine does the same): what serves keeps serving.
    func apply() {
        let compiled: CompiledConfiguration
        do {
            let configuration = try ConfigStore(home: home).load().configuration
            compiled = try CompiledConfiguration(configuration, home: home)
            web.apply(configuration)
        } catch {
            logger.error("the committed configuration does not compile; the web interface keeps its settings: \(error)")
            return
        }
        running.withLock { all in
            var wanted = Set<Endpoint>()
            for site in compiled.web {
                let address = "\(site.interface.address)"
                let https = Endpoint(address: address, port: site.httpsPort, redirectTo: nil)
                wanted.insert(https)
                if let current = all[https], let tls = current.tls {
                    tls.replace(with: site.tls)
                } else {
                    let source = TLSContextSource(site.tls)
                    all[https] = Running(task: serve(https, tls: source), tls: source)
                }
                if let port = site.httpPort {
                    let http = Endpoint(address: address, port: port, redirectTo: site.httpsPort)
                    wanted.insert(http)
                    if all[http] == nil { all[http] = Running(task: serve(http, tls: nil), tls: nil) }
                }
            }
            for (endpoint, old) in all where !wanted.contains(endpoint) {
                logger.info("web interface: no longer serving \(endpoint)")
                old.task.cancel()
                all[endpoint] = nil
            }
        }
    }

    private func serve(_ endpoint: Endpoint, tls: TLSContextSource?) -> Task<Void, Never> {
        let configuration = ApplicationConfiguration(
            address: .hostname(endpoint.address, port: endpoint.port), serverName: nil, reuseAddress: true)
        let logger = self.logger
        let running: @Sendable (any Channel) async -> Void = { _ in logger.notice("web interface: serving \(endpoint)") }
        let run: @Sendable () async throws -> Void
        if let tls {
            let app = Application(router: web.router(), server: .http1(tls: tls, idleTimeout: connectionIdleTimeout),
                                  configuration: configuration,
                                  onServerRunning: running, logger: logger)
            run = { try await app.run() }
        } else {
            let app = Application(router: redirectRouter(endpoint),
                                  server: .http1(configuration: .init(idleTimeout: connectionIdleTimeout)),
                                  configuration: configuration,
                                  onServerRunning: running, logger: logger)
            run = { try await app.run() }
        }
        return Task {
            do {
                try await run()
            } catch {
                logger.error("web interface: cannot serve \(endpoint): \(error)")
            }
        }
    }

    /// The host of the HTTPS address a plain HTTP request is sent to: the name the browser used
    /// (its Host header without the port) when it is a host name or an IP address, else this
    /// interface's address, so a forged Host (`evil.example/phish?`) cannot steer the redirect.
    static func redirectHost(_ authority: String?, fallback: String) -> String {
        let literal = fallback.contains(":") ? "[\(fallback)]" : fallback
        guard var host = authority, !host.isEmpty else { return literal }
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return literal }
            let inside = String(host[host.index(after: host.startIndex)..<close])
            return IPAddress(inside) != nil ? "[\(inside)]" : literal
        }
        if let colon = host.lastIndex(of: ":") {
            guard host[host.index(after: colon)...].allSatisfy(\.isASCII) && Int(host[host.index(after: colon)...]) != nil
            else { return literal }
            host = String(host[..<colon])
        }
        return Hostname.isValid(host) || IPAddress(host) != nil ? host : literal
    }

    /// Plain HTTP: every request is sent to the same path over HTTPS.
    private func redirectRouter(_ endpoint: Endpoint) -> Router<BasicRequestContext> {
        let router = Router()
        let target = endpoint.redirectTo ?? 443
        let redirect: @Sendable (Request, BasicRequestContext) -> Response = { request, _ in
            let host = WebServer.redirectHost(request.head.authority, fallback: endpoint.address)
            let query = request.uri.query.map { "?" + $0 } ?? ""
            return Response.redirect(to: "https://\(host):\(target)\(request.uri.path)\(query)", type: .permanent)
        }
        router.get("/") { request, context in redirect(request, context) }
        router.get("**") { request, context in redirect(request, context) }
        return router
    }
}
