import Foundation
import Hummingbird
import PosternConfig

/// Mail Policies → HAT Overview: a listener's sender groups in order (first match wins, ALL
/// last), each with its senders and policy; add, edit, delete and reorder them in this
/// browser's pending changes. Senders are parsed by `SenderEntry(parsing:)` and the table is
/// checked by the configuration's own validation, the code the CLI and the engine use.
struct HATPages {
    static let path = "/mail-policies/hat-overview"
    let web: WebInterface

    struct Page {
        struct Group {
            let name: String
            let senders: String
            let action: String
            let comment: String
            let first: Bool
            let last: Bool
        }
        struct Choice { let value: String; let label: String; let selected: Bool }
        let frame: PageFrame
        let listener: String
        let listeners: [Choice]
        let groups: [Group]
        let all: String
        let readOnly: Bool
        let errors: [String]
        let hasErrors: Bool
        /// The add/edit form: the group being edited, if any.
        let editing: String
        let isEditing: Bool
        let formName: String
        let formSenders: String
        let formComment: String
        let policies: [Choice]
    }

    func add(to group: RouterGroup<WebContext>) {
        group.get(RouterPath(Self.path)) { request, context in
            let session = try context.requireSession()
            let listener = try listener(request.uri.queryParameters["listener"].map(String.init), session)
            let editing = request.uri.queryParameters["edit"].map(String.init) ?? ""
            let current = listener.hostAccess.senderGroup(named: editing)
            return try render(session, listener, errors: [], editing: current == nil ? "" : editing, form: [
                "name": current?.name ?? "", "senders": current.map(Self.senders) ?? "",
                "comment": current?.comment ?? "", "action": current?.action.description ?? "",
            ])
        }
        group.post(RouterPath(Self.path)) { _, context in try submit(context) }
    }

    private static func senders(_ group: SenderGroup) -> String {
        group.entries.map(\.description).joined(separator: ", ")
    }

    private func listener(_ name: String?, _ session: WebSession) throws -> Listener {
        if let name {
            guard let listener = session.pending.listener(named: name) else {
                throw HTTPError(.notFound, message: "There is no such listener.")
            }
            return listener
        }
        guard let first = session.pending.listeners.first else {
            throw HTTPError(.notFound, message: "There are no listeners; create one with listenerconfig.")
        }
        return first
    }

    private func render(_ session: WebSession, _ listener: Listener, errors: [String], editing: String,
                        form: [String: String], status: HTTPResponse.Status = .ok) throws -> Response {
        let hat = listener.hostAccess
        let groups = hat.senderGroups.enumerated().map { index, group in
            Page.Group(name: group.name, senders: Self.senders(group), action: group.action.description,
                       comment: group.comment, first: index == 0, last: index == hat.senderGroups.count - 1)
        }
        let chosen = form["action"] ?? ""
        let actions = hat.policies.map { "$" + $0.name } + Behavior.allCases.map(\.rawValue)
        let page = Page(
            frame: web.frame(session, title: "HAT Overview"), listener: listener.name,
            listeners: session.pending.listeners.map { .init(value: $0.name, label: $0.name,
                                                              selected: $0.name == listener.name) },
            groups: groups, all: hat.all.description, readOnly: !session.role.mayCommit, errors: errors,
            hasErrors: !errors.isEmpty, editing: editing, isEditing: !editing.isEmpty, formName: form["name"] ?? "",
            formSenders: form["senders"] ?? "", formComment: form["comment"] ?? "",
            policies: actions.map { .init(value: $0, label: $0, selected: $0 == chosen) })
        return try web.render("hat-overview", page, status: status)
    }

    private func submit(_ context: WebContext) throws -> Response {
        let session = try context.requireSession()
        let form = context.form
        var listener = try listener(form["listener"], session)
        var hat = listener.hostAccess
        var errors: [String] = []
        let name = form["group"] ?? ""
        let index = hat.senderGroups.firstIndex { $0.name == name }
        let what: String
        switch form["operation"] {
        case "save":
            let edited = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            var entries: [SenderEntry] = []
            for part in (form["senders"] ?? "").split(separator: ",") {
                let item = part.trimmingCharacters(in: .whitespaces)
                if item.isEmpty { continue }
                do throws(SenderEntryError) { entries.append(try SenderEntry(parsing: item)) } catch {
                    errors.append("Sender \"\(item)\": \(error.message)")
                }
            }
            guard let action = SenderGroupAction(text: form["action"] ?? "") else {
                errors.append("Choose a policy for the sender group.")
                return try render(session, listener, errors: errors, editing: name, form: form, status: .badRequest)
            }
            // The group's own parameters (set in the CLI) are kept: this form does not edit them.
            let group = SenderGroup(name: edited, entries: entries, action: action, comment: form["comment"] ?? "",
                                    overrides: index.flatMap { hat.senderGroups[$0].overrides })
            if let index { hat.senderGroups[index] = group } else { hat.senderGroups.append(group) }
            what = "Sender group \"\(edited)\" was saved."
        case "delete":
            guard let index else { throw HTTPError(.notFound, message: "There is no sender group \(name).") }
            hat.senderGroups.remove(at: index)
            what = "Sender group \"\(name)\" was deleted."
        case "up", "down":
            guard let index else { throw HTTPError(.notFound, message: "There is no sender group \(name).") }
            let target = form["operation"] == "up" ? index - 1 : index + 1
            guard hat.senderGroups.indices.contains(target) else { throw HTTPError(.badRequest, message: "It cannot move.") }
            hat.senderGroups.swapAt(index, target)
            what = "Sender group \"\(name)\" was moved."
        default:
            throw HTTPError(.badRequest, message: "Choose Save, Delete, Move Up or Move Down.")
        }
        listener.hostAccess = hat
        var configuration = session.pending
        if errors.isEmpty, let at = configuration.listenerIndex(named: listener.name) {
            configuration.listeners[at] = listener
            let prefix = "listeners[\(listener.name)].hostAccess"
            errors = configuration.validate().filter { $0.path.hasPrefix(prefix) }.map { "\($0.path): \($0.message)" }
        }
        guard errors.isEmpty else {
            let original = try self.listener(form["listener"], session)
            return try render(session, original, errors: errors, editing: name, form: form, status: .badRequest)
        }
        web.sessions.update(session.token) {
            $0.pending = configuration
            $0.notice = "Success — \(what) Commit Changes to apply it."
        }
        web.auditLog(user: session.user, address: context.address, "hat \(listener.name): \(what)", result: "ok")
        return Response.redirect(to: Self.path + "?listener=" + listener.name, type: .found)
    }
}
