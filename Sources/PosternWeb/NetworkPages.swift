import Foundation
import Hummingbird
import PosternConfig
import PosternStore

/// Network → Listeners: the summary AsyncOS shows for each listener (the seed's
/// `TLS: Required` line is the default policy's level), from this browser's pending view.
struct ListenerPages {
    static let path = "/network/listeners"
    let web: WebInterface

    struct Page {
        struct Row {
            let name: String
            let type: String
            let interface: String
            let port: Int
            let proto: String
            let tls: String
            let certificate: String
        }
        let frame: PageFrame
        let rows: [Row]
    }

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { _, context in
            let session = try context.requireSession()
            let configuration = session.pending
            let rows = configuration.listeners.map { listener in
                let interface = configuration.interface(named: listener.interface)
                return Page.Row(
                    name: listener.name, type: listener.type.label,
                    interface: interface.map { "\($0.name) (\($0.address))" } ?? listener.interface, port: listener.port,
                    proto: listener.protocol.rawValue, tls: listener.hostAccess.defaultParameters.tls.label,
                    certificate: listener.certificate ?? FactoryDefaults.demoCertificateName)
            }
            return try web.render("listeners", Page(frame: web.frame(session, title: "Listeners"), rows: rows))
        }
    }
}

/// System Administration → Configuration History: every committed generation with who, when,
/// from where and why; the differences between two; and roll back, which stages an earlier
/// generation in this browser's pending changes for Commit Changes (as `rollbackconfig` does).
struct HistoryPages {
    static let path = "/system-administration/configuration-history"
    let web: WebInterface

    struct Page {
        struct Row {
            let generation: Int
            let time: String
            let user: String
            let source: String
            let comment: String
            let current: Bool
        }
        let frame: PageFrame
        let rows: [Row]
        let readOnly: Bool
        let diffTitle: String?
        let diff: [String]
    }

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { request, context in try page(request, context) }
        group.post(RouterPath(Self.path + "/rollback")) { _, context in try rollback(context) }
    }

    private func page(_ request: Request, _ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        let history = web.store.history()
        let current = history.last?.generation
        let formatter = ISO8601DateFormatter()
        let rows = history.reversed().map {
            Page.Row(generation: $0.generation, time: formatter.string(from: $0.time), user: $0.user, source: $0.source,
                     comment: $0.comment, current: $0.generation == current)
        }
        var diffTitle: String?
        var diff: [String] = []
        let query = request.uri.queryParameters
        if let from = query["from"].flatMap({ Int(String($0)) }), let to = query["to"].flatMap({ Int(String($0)) }) {
            guard let old = try? web.store.load(generation: from), let new = try? web.store.load(generation: to) else {
                throw HTTPError(.notFound, message: "Generation \(from) or \(to) is not in the history.")
            }
            let changes = ConfigDiff.changes(from: old.configuration, to: new.configuration)
            diffTitle = "Differences from generation \(from) to \(to)"
            diff = changes.isEmpty ? ["No differences."] : ChangeWords.lines(changes)
        }
        let response = try web.render("history", Page(
            frame: web.frame(session, title: "Configuration History"), rows: rows, readOnly: !session.role.mayCommit,
            diffTitle: diffTitle, diff: diff))
        if session.notice != nil { web.sessions.update(session.token) { $0.notice = nil } }
        return response
    }

    private func rollback(_ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        guard let generation = context.form["generation"].flatMap(Int.init),
            let document = try? web.store.load(generation: generation)
        else {
            throw HTTPError(.badRequest, message: "Choose a generation from the history.")
        }
        // On top of the newest commit, so Commit Changes does not meet a conflict it made itself.
        let base = try web.store.load()
        web.sessions.update(session.token) {
            $0.base = base
            $0.pending = document.configuration
            $0.notice = "Generation \(generation) is staged. Commit Changes to roll back to it."
        }
        web.auditLog(user: session.user, address: context.address, "roll back to generation \(generation) staged",
                     result: "ok")
        return Response.redirect(to: CommitPages.path, type: .found)
    }
}
