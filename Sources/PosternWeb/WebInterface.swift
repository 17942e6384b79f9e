import Foundation
import Hummingbird
import Logging
import Mustache
import PosternConfig
import PosternControl
import PosternStore
import Synchronization

/// The admin web interface: its routes, the signed-in sessions, the templates. Changes go
/// through the same `ConfigStore.commit` as the CLI's (validation, conflict check, audit).
public final class WebInterface: Sendable {
    let home: Home
    let store: ConfigStore
    let users: UserStore
    let sessions: WebSessions
    let throttle: Mutex<LoginThrottle>
    let audit: AuditLog
    let templates: MustacheLibrary
    let logger: Logger
    /// The fleet, when the `posternweb` executable provides one: in a fleet, Commit Changes goes
    /// to etcd exactly as the CLI's `commit` does (PosternWeb never talks to etcd itself).
    let fleet: (any FleetService)?

    static let sessionCookie = "postern_session"
    static let loginCookie = "postern_login"

    /// A fixed idle timeout in place of `adminaccessconfig`'s (tests use seconds, which the
    /// setting's 5-minute minimum does not allow).
    let idleTimeoutOverride: TimeInterval?

    public init(home: Home, idleTimeoutOverride: TimeInterval? = nil, fleet: (any FleetService)? = nil,
                logger: Logger) async throws {
        self.home = home
        self.fleet = fleet
        store = ConfigStore(home: home)
        users = UserStore(home: home)
        self.idleTimeoutOverride = idleTimeoutOverride
        let committed = (try? store.load().configuration.adminAccessSettings) ?? AdminAccessSettings()
        sessions = WebSessions(idleTimeout: idleTimeoutOverride ?? Double(committed.webTimeoutMinutes) * 60)
        var throttle = LoginThrottle()
        throttle.load(home)
        self.throttle = Mutex(throttle)
        audit = AuditLog(url: home.cliLog)
        self.logger = logger
        guard let directory = Bundle.module.resourceURL?.appendingPathComponent("Templates") else {
            throw WebError.templates
        }
        templates = try await MustacheLibrary(directory: directory.path)
    }

    /// The fleet when this machine is in one now (CREATE and JOIN happen in the CLI meanwhile).
    var fleetMember: (any FleetService)? { FleetSettings.load(home) == nil ? nil : fleet }

    /// Every route; pages past the login need a live session (and a role that may see them).
    public func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self)
        router.add(middleware: SecurityHeadersMiddleware())
        router.get("/static/postern.css") { [self] _, _ in stylesheet() }
        router.get("/login") { [self] request, context in try loginPage(request, context) }
        router.post("/login") { [self] request, context in try await login(request, context) }
        let signedIn = router.group().add(middleware: SessionMiddleware(web: self))
        signedIn.get("/") { _, context in
            Response.redirect(to: context.session?.role.seesConfiguration == true ? MailFlowPolicyPages.path : "/monitor")
        }
        signedIn.post("/logout") { [self] request, context in logout(context) }
        MailFlowPolicyPages(web: self).add(to: signedIn)
        HATPages(web: self).add(to: signedIn)
        CommitPages(web: self).add(to: signedIn)
        ListenerPages(web: self).add(to: signedIn)
        CertificatePages(web: self).add(to: signedIn)
        HistoryPages(web: self).add(to: signedIn)
        SSLPages(web: self).add(to: signedIn)
        MonitorPages(web: self).add(to: signedIn)
        signedIn.get("/monitor") { [self] _, context in try monitorPage(context) }
        return router
    }

    // MARK: Rendering

    /// A page: the template filled with `page`, whose `frame` draws the header.
    func render(_ template: String, _ page: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = templates.render(page, withTemplate: template) else { throw WebError.templates }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// What the header of every signed-in page shows.
    func frame(_ session: WebSession, title: String) -> PageFrame {
        PageFrame(title: title, user: session.user, role: session.role.label, csrf: session.csrfToken,
                  hostname: session.pending.hostname, pending: session.hasChanges,
                  seesConfiguration: session.role.seesConfiguration, notice: session.notice)
    }

    private func stylesheet() -> Response {
        let css = templates.render([String: String](), withTemplate: "postern.css") ?? ""
        return Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                        body: .init(byteBuffer: ByteBuffer(string: css)))
    }

    private func monitorPage(_ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        let status = EngineStatus.read(home)
        let page = MonitorPage(
            frame: frame(session, title: "Overview"),
            engineRunning: EngineSignal(home: home).runningEnginePID() != nil,
            generation: status.map { String($0.generation) } ?? "unknown",
            committed: (try? store.currentCommit()).map { String($0.generation) } ?? "unknown",
            counters: status?.counters ?? EngineStatus.Counters(),
            since: status.map { ISO8601DateFormatter().string(from: $0.startedAt) } ?? "")
        return try render("monitor", page)
    }

    /// A commit changed the configuration: the idle timeout follows `adminaccessconfig`.
    func apply(_ configuration: Configuration) {
        guard idleTimeoutOverride == nil else { return }
        let timeout = Double(configuration.adminAccessSettings.webTimeoutMinutes) * 60
        if sessions.idleTimeout != timeout {
            sessions.idleTimeout = timeout
            logger.notice("web interface: idle timeout is now \(configuration.adminAccessSettings.webTimeoutMinutes) minutes")
        }
    }

    /// Audit line in logs/cli.log, as the CLI writes its own (`source=gui 127.0.0.1`).
    func auditLog(user: String, address: String, _ what: String, result: String) {
        audit.append(user: user, source: "gui \(address)", command: what, result: result)
    }
}

/// The header of every signed-in page.
struct PageFrame {
    let title: String
    let user: String
    let role: String
    let csrf: String
    let hostname: String
    /// Changes are pending: the highlighted "Commit Changes" button shows.
    let pending: Bool
    let seesConfiguration: Bool
    let notice: String?
}

struct MonitorPage {
    let frame: PageFrame
    let engineRunning: Bool
    let generation: String
    let committed: String
    /// Since the engine started (`status`'s counters).
    let counters: EngineStatus.Counters
    let since: String
}

extension WebContext {
    /// The session the middleware found; routes behind it cannot run without one.
    func requireSession() throws -> WebSession {
        guard let session else { throw HTTPError(.unauthorized) }
        return session
    }
}
