import Foundation
import Hummingbird
import PosternConfig
import PosternControl
import PosternRuntime
import PosternStore

/// Commit Changes: the pending changes of this browser, a comment, Commit or Abandon, through
/// the CLI's own commit path. A commit made meanwhile elsewhere is a conflict shown here;
/// nothing is overwritten.
struct CommitPages {
    static let path = "/commit"
    let web: WebInterface

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { _, context in try page(try context.requireSession()) }
        group.post(RouterPath(Self.path)) { _, context in try await submit(context) }
    }

    struct Page {
        let frame: PageFrame
        let changes: [String]
        let hasChanges: Bool
        let readOnly: Bool
        let error: String?
        let comment: String
    }

    private func page(_ session: WebSession, error: String? = nil, comment: String = "",
                      status: HTTPResponse.Status = .ok) throws -> Response {
        let changes = ConfigDiff.changes(from: session.base.configuration, to: session.pending)
        let lines = ChangeWords.lines(changes)
        let response = try web.render("commit", Page(
            frame: web.frame(session, title: "Uncommitted Changes"), changes: lines, hasChanges: !changes.isEmpty,
            readOnly: !session.role.mayCommit, error: error, comment: comment), status: status)
        if session.notice != nil { web.sessions.update(session.token) { $0.notice = nil } }
        return response
    }

    private func submit(_ context: WebContext) async throws -> Response {
        let session = try context.requireSession()
        let form = context.form
        switch form["action"] {
        case "abandon":
            let base = try web.store.load()
            web.sessions.update(session.token) {
                $0.base = base
                $0.pending = base.configuration
                $0.notice = "Your changes have been abandoned."
            }
            web.auditLog(user: session.user, address: context.address, "abandon changes", result: "ok")
            return Response.redirect(to: Self.path, type: .found)
        case "commit":
            guard session.hasChanges else {
                return try page(session, error: "There are no changes to commit.", status: .badRequest)
            }
            let comment = form["comment"] ?? ""
            let outcome = await commit(session, comment: comment, address: context.address)
            switch outcome {
            case .failure(let error):
                web.auditLog(user: session.user, address: context.address, "commit", result: "failed: \(error)")
                let status: HTTPResponse.Status = if case .conflict = error { .conflict } else { .badRequest }
                return try page(session, error: error.description, comment: comment, status: status)
            case .success(let (record, engine)):
                web.sessions.update(session.token) {
                    $0.base = ConfigDocument(commit: record, configuration: session.pending)
                    $0.pending = session.pending
                    $0.notice = "Your changes have been committed." + engine
                }
                web.auditLog(user: session.user, address: context.address, "commit", result: "ok generation="
                    + String(record.generation))
                return Response.redirect(to: Self.path, type: .found)
            }
        default:
            throw HTTPError(.badRequest, message: "Choose Commit Changes or Abandon Changes.")
        }
    }

    /// Commits off the request's task (fsync, the lock, then the wait for the engine are
    /// blocking), with the CLI's check; the second value is what to add about the engine.
    private func commit(_ session: WebSession, comment: String, address: String) async
        -> Result<(CommitRecord, String), StoreError>
    {
        let store = web.store
        let home = web.home
        let fleet = web.fleetMember
        return await Task.detached {
            do {
                let check = { (configuration: Configuration) in CompiledConfiguration.check(configuration, home: home) }
                if let fleet {
                    // One etcd txn with the CLI's conflict check; every member (this one too)
                    // applies it by itself, so the wait is for the members, bounded.
                    let record = try fleet.commit(
                        home: home, configuration: session.pending, base: session.base.commit.generation,
                        user: session.user, source: "gui \(address)", comment: comment, check: check)
                    let progress = fleet.awaitMembers(home: home, generation: record.generation, timeout: .seconds(10)) {
                        _ in
                    }
                    return .success((record, " \(progress.applied) of \(progress.members) members have applied "
                        + "generation \(record.generation)."))
                }
                let record = try store.commit(
                    session.pending, base: session.base.commit.generation, user: session.user, source: "gui \(address)",
                    comment: comment, check: check)
                let note: String
                switch EngineSignal(home: home).reload(expecting: record.generation) {
                case .applied: note = ""
                case .notRunning: note = " The engine is not running; it will apply them when it starts."
                case .noAnswer: note = " The engine has not reported applying them yet."
                case .rejected(let problems):
                    note = " The engine did not apply them and keeps the previous configuration: "
                        + problems.joined(separator: "; ")
                }
                return .success((record, note))
            } catch let error as StoreError {
                return .failure(error)
            } catch {
                return .failure(.io("\(error)"))
            }
        }.value
    }
}
